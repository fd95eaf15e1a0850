"""How fast a Hugging Face hub dataset fails when the hub cannot be reached, offline
(``HF_HUB_OFFLINE=1``) and online against a closed local port (the reachability probe
answers, not `huggingface_hub`'s retry loop). tests/data/test_sources.py checks the
messages; the seconds are measured here (targets: under 5 s offline, under 8 s online).

    .venv/bin/python benchmarks/hub_failure.py
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets
import huggingface_hub
from hydra.utils import instantiate

from experiments.config import ConfigError, compose_config


def seconds_to_fail() -> float:
    """Seconds from `load` to the `ConfigError` of sms_spam read from the hub."""
    data = instantiate(compose_config(["dataset=sms_spam"]).dataset)
    start = time.perf_counter()
    try:
        data.load()
    except ConfigError:
        return time.perf_counter() - start
    raise SystemExit("sms_spam loaded: the hub (or its cache) answered; nothing to measure")


def main() -> None:
    offline = seconds_to_fail()
    datasets.config.HF_HUB_OFFLINE = False
    huggingface_hub.constants.HF_HUB_OFFLINE = False
    huggingface_hub.constants.ENDPOINT = "http://127.0.0.1:9"  # a closed port
    online = seconds_to_fail()
    print("| hub | seconds to fail |\n|---|---:|")
    print(f"| offline | {offline:.2f} |\n| unreachable (online) | {online:.2f} |")


if __name__ == "__main__":
    main()
