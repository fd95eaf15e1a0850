"""Data loading and real-data quality: first (cold cache) and second (cached) load times of
mnist10k and sms_spam, and the spam F1 of a linear SVM on TF-IDF.

    .venv/bin/python benchmarks/data_loading.py          # needs ../shared/data

Load times are measured in this process for a fresh cache folder: "first" loads the files
through `datasets` and featurizes; "second" is a new data module with the same config,
which reads the processed tensors from the cache. Imports are excluded from both.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

# Never touch the network: Hugging Face clients fail fast instead of retrying.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from hydra.utils import instantiate
from sklearn.metrics import accuracy_score, f1_score

from experiments.config import compose_config
from experiments.core import train
from experiments.kinds.network_build import build_net

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = {
    "mnist10k": ["dataset=mnist", f"dataset.path={SHARED / 'mnist10k'}"],
    "sms_spam": ["dataset=sms_spam", f"dataset.path={SHARED / 'sms_spam'}"],
}


def load_times(overrides: list[str], cache_dir: str) -> tuple[float, float]:
    """Seconds to load with a cold cache, then again from the cache."""
    cfg = compose_config([*overrides, f"dataset.cache_dir={cache_dir}"])
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        instantiate(cfg.dataset).load()
        seconds.append(time.perf_counter() - start)
    return seconds[0], seconds[1]


def spam_quality(run_dir: Path) -> dict[str, float]:
    """Train `svm_linear` on sms_spam TF-IDF as ``experiments-train`` does, then score the
    last checkpoint's test predictions: accuracy and the F1 of the spam class."""
    # without the random-state callback the checkpoint holds tensors only (weights_only=True)
    overrides = [*DATASETS["sms_spam"], "model=svm_linear", "~callbacks.random_state"]
    cfg = compose_config(overrides)
    train(cfg, run_dir, overrides)
    datamodule = instantiate(cfg.dataset)
    shapes = datamodule.load()
    net = build_net(cfg.model, shapes, datamodule.tensors["train"][0])
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    net.load_state_dict(
        {k.removeprefix("net."): v for k, v in state.items() if k.startswith("net.")}
    )
    inputs, targets = datamodule.tensors["test"]
    with torch.no_grad():
        predicted = net.eval()(inputs).argmax(1).numpy()
    spam = shapes.class_names.index("spam")
    return {
        "test accuracy": accuracy_score(targets.numpy(), predicted),
        "spam F1": f1_score(targets.numpy(), predicted, pos_label=spam),
    }


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as cache_dir:
        for name, overrides in DATASETS.items():
            first, second = load_times(overrides, cache_dir)
            print(f"{name}: first load {first:.2f} s, second (cached) {second:.2f} s")
    with tempfile.TemporaryDirectory() as run_dir:
        for metric, value in spam_quality(Path(run_dir)).items():
            print(f"sms_spam svm_linear {metric}: {value:.4f}")


if __name__ == "__main__":
    main()
