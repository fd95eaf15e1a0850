"""Several jobs of a sweep at once on this machine, in worker processes, so that a job
whose process dies (the out-of-memory killer's SIGKILL) fails alone.

Hydra's joblib launcher runs jobs on a loky pool: when one worker dies, loky kills the other
workers and the whole sweep ends with ``TerminatedWorkerError``, jobs left ``running``, no
summary. `ParallelLauncher` takes the same settings (``n_jobs``) and runs ``n_jobs`` worker
processes, each forked from the launching process and running jobs one after another as the
sequential launcher does; a job whose worker died is recorded ``failed`` with the signal
that ended it, a new worker takes the dead one's place, and the other jobs go on.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra.core.utils import JobReturn
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher


class ParallelLauncher(JoblibLauncher):
    """Hydra launcher: joblib's settings (``n_jobs``; -1 for one job per core), ``n_jobs``
    worker processes. Select it with ``hydra.launcher._target_`` (``launcher=parallel``
    does)."""

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from hydra_plugins.experiments_launcher import _core

        return _core.launch(self, job_overrides, initial_job_idx)
