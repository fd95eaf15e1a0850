"""Style transfer on this machine, one run per feature network: (a) VGG-19 with random weights
(no download) and (b) the cnn of a run this framework trained. Per network: how far the style
loss falls from the first image to the last (at least 10x required), whether the content loss
stays bounded (below that of the style image itself, as a picture of the content photo), and
the wall time; and one picture of content, style and each output side by side (the docs'
``docs/images/style_transfer.png``).

The cnn of (b) is trained first, unless ``--cnn-run`` names one: on cats vs dogs
(``--catdog``, default ``../shared/data/cifar_catdog``; ``experiment=cats_dogs model=cnn``)
for ``--cnn-epochs`` epochs, or, where that data is absent and with ``--tiny``, on 32x32
patches cut from scikit-learn's two sample photos (class: which photo). Its content layer
is its last ReLU, its style layers the first ReLU of each stage (VGG-19 keeps Gatys et al.'s).

    nice -n 19 .venv/bin/python benchmarks/style_transfer.py \
        --picture docs/images/style_transfer.png --catdog ../shared/data/cifar_catdog
    .venv/bin/python benchmarks/style_transfer.py --cnn-run outputs/cats_dogs/<run>/model=cnn
    .venv/bin/python benchmarks/style_transfer.py --size 512 --set trainer=gpu  # where a GPU is
    .venv/bin/python benchmarks/style_transfer.py --tiny                        # what the test runs
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from common import CATDOG
from experiments.style import build_features, contact_sheet
from experiments.style.features import layer_names, run_features
from experiments.style.images import read_image
from experiments.style.losses import content_loss

TRAIN = str(Path(sys.executable).parent / "experiments-train")
STYLE = ["experiment=style_transfer"]
TINY = ["optimizer.max_iter=20", "trainer.max_epochs=1"]  # with --size 32: seconds


def run(arguments: list[str], run_dir: Path) -> tuple[dict[str, Any], float]:
    """``experiments-train`` with ``arguments`` into ``run_dir``, as a user runs it; its
    result and wall seconds.

    Raises:
        RuntimeError: the run failed (its output's end in the message).
    """
    start = time.perf_counter()
    done = subprocess.run(
        [TRAIN, *arguments, f"hydra.run.dir={run_dir}"], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return json.loads((run_dir / "result.json").read_text()), seconds


def photo_patches(folder: Path, per_photo: int, side: int = 32) -> Path:
    """``folder/<photo>/<n>.png``: ``per_photo`` random ``side``-pixel patches of each of
    scikit-learn's sample photos, an image folder of two classes."""
    from sklearn.datasets import load_sample_image

    rng = np.random.default_rng(0)
    for name in ("china", "flower"):
        photo = load_sample_image(f"{name}.jpg")
        (folder / name).mkdir(parents=True, exist_ok=True)
        for n in range(per_photo):
            top, left = (rng.integers(0, extent - side) for extent in photo.shape[:2])
            patch = photo[top : top + side, left : left + side]
            PIL.Image.fromarray(patch).save(folder / name / f"{n}.png")
    return folder


def train_cnn(out: Path, catdog: Path, tiny: bool, epochs: int) -> tuple[Path, str, float]:
    """A cnn run for (b): its folder, what it learned from, and its wall seconds."""
    run_dir = out / "cnn_run"
    if catdog.is_dir() and not tiny:
        data, what = ["experiment=cats_dogs", f"dataset.path={catdog}"], "cats_dogs"
    else:
        patches = photo_patches(out / "patches", per_photo=8 if tiny else 256)
        data, what = ["dataset=imagefolder", f"dataset.path={patches}"], "photo_patches"
    _, seconds = run([*data, "model=cnn", f"trainer.max_epochs={epochs}"], run_dir)
    return run_dir, what, seconds


def cnn_layers(run_dir: Path) -> tuple[str, list[str]]:
    """The content layer (the last ReLU) and style layers (each stage's first ReLU) of a cnn
    run."""
    names = [name for name in layer_names(run_features(str(run_dir))[0]) if name.startswith("relu")]
    return names[-1], [name for name in names if name.endswith("_1")]


def style_image_content_loss(cfg: dict[str, Any], seed: int) -> float:
    """The content loss of the style image itself, scaled to the content photo's shape: what
    a picture with nothing of the photo scores, the bound the output's content loss stays
    below."""
    model, data = cfg["model"], cfg["dataset"]
    network = build_features(
        model["features"], model["weights"], model["content_layer"], model["style_layers"], seed
    )
    content = read_image(data["content"], "dataset.content", data["size"])
    style = F.interpolate(
        read_image(data["style"], "dataset.style", data["size"]),
        size=content.shape[-2:],
        mode="bilinear",
        antialias=True,
    )
    layer = model["content_layer"]
    with torch.no_grad():
        return float(content_loss(network(style)[layer], network(content)[layer]))


def style_row(name: str, overrides: list[str], out: Path) -> dict[str, Any]:
    """One style run and what it says."""
    result, seconds = run([*STYLE, *overrides], out / name)
    config = _saved_config(out / name)
    metrics = result["metrics"]
    return {
        "network": name,
        "style loss fell": 1 / metrics["test/style_ratio"],
        "content loss": metrics["test/content_loss"],
        "style image's content loss": style_image_content_loss(config, result["seed"]),
        "fit s": result["fit_seconds"],
        "wall s": seconds,
        "device": result["provenance"]["device"],
    }


def _saved_config(run_dir: Path) -> dict[str, Any]:
    """The composed config the run saved, as plain values."""
    return OmegaConf.to_container(OmegaConf.load(run_dir / ".hydra" / "config.yaml"), resolve=True)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="longer side of the content photo")
    parser.add_argument("--cnn-run", type=Path, help="a cnn run folder for (b); default: train one")
    parser.add_argument("--cnn-epochs", type=int, default=5, help="epochs of the cnn for (b)")
    parser.add_argument("--catdog", type=Path, default=CATDOG, help="cifar_catdog for (b)'s cnn")
    parser.add_argument("--picture", type=Path, help="write the side-by-side picture here")
    parser.add_argument("--out", type=Path, help="keep the runs here; default: a temporary folder")
    parser.add_argument("--set", nargs="*", default=[], help="more overrides for the style runs")
    parser.add_argument("--tiny", action="store_true", help="32 px, 20 iterations, tiny cnn")
    args = parser.parse_args(argv)
    size = 32 if args.tiny else args.size
    common = [f"dataset.size={size}", *(TINY if args.tiny else []), *args.set]
    with tempfile.TemporaryDirectory() as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        if args.cnn_run:
            cnn, what, cnn_seconds = args.cnn_run, args.cnn_run.name, 0.0
        else:
            epochs = 1 if args.tiny else args.cnn_epochs
            cnn, what, cnn_seconds = train_cnn(out, args.catdog, args.tiny, epochs)
        content_layer, style_layers = cnn_layers(cnn)
        cnn_settings = [
            f"model.features={cnn}",
            f"model.content_layer={content_layer}",
            f"model.style_layers=[{','.join(style_layers)}]",
        ]
        rows = [
            style_row("vgg19_random", common, out),
            style_row(f"cnn_{what}", [*common, *cnn_settings], out),
        ]
        if args.picture:
            _picture(out, args.picture, thumbnail=min(size, 256))
    print(f"{size}-pixel sklearn:china.jpg in the style of sklearn:flower.jpg; {' '.join(common)}")
    if cnn_seconds:
        print(f"(b)'s cnn trained on {what} in {cnn_seconds:.0f} s")
    print(f"(b)'s layers: content {content_layer}, style {', '.join(style_layers)}")
    if size < 64:
        print("(a tiny run: the plumbing, not a measurement)")
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        print("| " + " | ".join(_cell(row[c]) for c in columns) + " |")
    return rows


def _picture(out: Path, path: Path, thumbnail: int) -> None:
    """The contact sheet of the runs below ``out``, in 256 colours (a third of the bytes of
    full colour: the docs keep it small)."""
    written = contact_sheet(out, path, thumbnail=thumbnail)
    PIL.Image.open(written).quantize(colors=256).save(written, optimize=True)
    print(f"Picture: {written} ({written.stat().st_size // 1024} KB)")


def _cell(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
