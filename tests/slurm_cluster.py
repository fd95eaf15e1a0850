"""A real one-node SLURM cluster on this machine, for the tests and benchmarks.

Writes a ``slurm.conf`` sized from this machine (``nproc`` CPUs, the free memory) into a
folder, starts munged, slurmctld and slurmd in the foreground as child processes (no
systemd needed), waits until the node is idle, and at the end stops exactly those
processes by PID. Nothing outside the folder is touched: the daemons use their own ports,
socket, key, state and logs, and clients find the cluster through ``SLURM_CONF``.

Needs root (slurmd starts jobs as their user) and Debian's packages::

    apt-get install -y --no-install-recommends slurmd slurmctld slurm-client munge

By hand, for a shell session against the cluster (Ctrl-C stops it)::

    python tests/slurm_cluster.py     # prints the SLURM_CONF line to export; Ctrl-C stops it
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
INSTALL = "apt-get install -y --no-install-recommends slurmd slurmctld slurm-client munge (as root)"
PARTITION = "local"
# MiB of the free memory kept back from SLURM for the daemons and the launching process.
MEMORY_RESERVE_MB = 1024


def missing_reason() -> str | None:
    """Why a cluster cannot start here (not root, a program missing), or None when it can."""
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd runs jobs as their user)"
    missing = [p for p in (*DAEMONS, "sbatch", "squeue", "sinfo") if not _which(p)]
    if missing:
        return f"SLURM is not installed ({', '.join(missing)} missing): {INSTALL}"
    return None


def _which(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free_memory_mb() -> int:
    """MemAvailable from /proc/meminfo, in MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("/proc/meminfo has no MemAvailable")


def slurm_conf(folder: Path, node: str, cpus: int, memory_mb: int) -> str:
    """A one-node, one-partition cluster without accounting (as many small clusters run).

    Memory is a consumable resource with a default per CPU, so that jobs that ask for no
    memory share the node by CPUs, as on a real cluster.
    """
    return f"""\
ClusterName=experiments
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
ReconfigFlags=KeepPartState
# Seconds: quick turnover for short test jobs; a cancelled job is killed 2 s after SIGTERM.
KillWait=2
MinJobAge=300
SlurmdTimeout=30
InactiveLimit=0
Waittime=0
MaxArraySize=100001
MaxJobCount=200000
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP DefMemPerCPU={memory_mb // cpus}
"""


@dataclass
class Cluster:
    """A running local cluster: its folder, config file and daemon processes."""

    folder: Path
    cpus: int
    memory_mb: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.folder / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """What a client (sbatch, squeue, submitit) needs in its environment."""
        return {"SLURM_CONF": str(self.conf)}

    def logs(self) -> str:
        """The daemons' log tails, for a failure message."""
        tails = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log"):
            path = self.folder / name
            if path.is_file():
                tails.append(f"--- {name}\n" + "\n".join(path.read_text().splitlines()[-15:]))
        return "\n".join(tails)


def _start(cluster: Cluster, name: str, command: list[str]) -> None:
    log = (cluster.folder / f"{name}.out").open("wb")
    cluster.processes[name] = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ | cluster.env,
        start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the daemons
    )


def _wait_for(what: str, ready, cluster: Cluster, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{cluster.logs()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"SLURM: {what} not within {timeout_s:.0f} s\n{cluster.logs()}")
        time.sleep(0.1)


def _run(command: list[str], cluster: Cluster) -> str:
    """A client command's output against ``cluster`` ("" when it fails)."""
    answer = subprocess.run(command, capture_output=True, text=True, env=os.environ | cluster.env)
    return answer.stdout.strip()


def _node_state(cluster: Cluster) -> str:
    return _run(["sinfo", "-h", "-N", "-o", "%T"], cluster)


def start(folder: Path, timeout_s: float = 30) -> Cluster:
    """Start a cluster whose files live in ``folder`` and wait until its node is idle.

    Raises:
        RuntimeError: a daemon exited or the node did not become idle in ``timeout_s``
            (the message holds the daemons' logs); the daemons started are stopped.
    """
    cpus = os.cpu_count() or 1
    memory_mb = max(_free_memory_mb() - MEMORY_RESERVE_MB, 512)
    cluster = Cluster(folder=folder, cpus=cpus, memory_mb=memory_mb)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # munged refuses a socket or key in a folder others can write
    node = socket.gethostname().split(".")[0]
    cluster.conf.write_text(slurm_conf(folder, node, cpus, memory_mb))
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    try:
        _start(cluster, "munged", [
            _which("munged"), "--foreground", "--force", f"--key-file={key}",
            f"--socket={folder}/munge.socket", f"--pid-file={folder}/munged.pid",
            f"--log-file={folder}/munged.log", f"--seed-file={folder}/munged.seed",
        ])  # fmt: skip
        _wait_for("munged's socket", (folder / "munge.socket").exists, cluster, timeout_s)
        _start(cluster, "slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(cluster.conf)])
        _start(cluster, "slurmd", [_which("slurmd"), "-D", "-N", node, "-f", str(cluster.conf)])
        _wait_for("an idle node", lambda: _node_state(cluster) == "idle", cluster, timeout_s)
    except BaseException:
        stop(cluster)
        raise
    return cluster


def stop(cluster: Cluster, timeout_s: float = 10) -> None:
    """Cancel the cluster's jobs (their processes outlive slurmd), then stop its daemons
    (slurmd first, munged last) by their PIDs."""
    if all(p.poll() is None for p in cluster.processes.values()) and len(cluster.processes) == 3:
        env = os.environ | cluster.env
        subprocess.run(["scancel", f"--partition={PARTITION}"], env=env, capture_output=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _run(["squeue", "-h", "-o", "%i"], cluster):
            time.sleep(0.2)
    for name in reversed(DAEMONS):
        process = cluster.processes.get(name)
        if process is None or process.poll() is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_cluster(folder: Path | None = None) -> Iterator[Cluster]:
    """A started cluster for the ``with`` block; its daemons are stopped at the end, and a
    folder made here is removed."""
    made = folder is None
    folder = Path(tempfile.mkdtemp(prefix="slurm-")) if made else folder
    cluster = start(folder)
    try:
        yield cluster
    finally:
        stop(cluster)
        if made:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    reason = missing_reason()
    if reason:
        sys.exit(reason)
    # Ctrl-C or a plain `kill` ends the block below, which stops the daemons (a process
    # started in the background of a script ignores SIGINT, hence SIGTERM too).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with running_cluster() as cluster:
        print(f"SLURM up: {cluster.cpus} CPUs, {cluster.memory_mb} MiB, partition {PARTITION}")
        print(f"export SLURM_CONF={cluster.conf}")
        print("Ctrl-C or kill stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
