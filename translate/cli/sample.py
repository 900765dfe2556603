"""`translate sample` and `translate eval`: draw from and score a trained checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from translate.cli import Formatter
from translate.config import DIRECTIONS, DataConfig
from translate.errors import OptionError


# ------------------------------------------------------------------------------------------ sample
def _checkpoint_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, metavar="DIR",
                   help="a bundle (config.json + model.safetensors) or a run folder (its newest state, EMA "
                        "weights when the run kept them)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where to run: auto takes a GPU when there is one (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"a share in [0, 1), got {value}")
    return value


def _reject_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reject-stretch", type=_share, default=0.0, metavar="Q",
                   help="noise models: draw n / (1 - Q) latent codes and drop the share Q where the generator "
                        "stretches most (largest Jacobian norm: the samples it must draw between separated "
                        "modes; Tanielian et al. 2020). 0: plain samples (default: 0)")


def cmd_sample(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate sample", formatter_class=Formatter,
        description="Draw samples from a trained generator.",
        epilog="OUT ending in .png: one grid; .npy: an (N, 2) float array for point models (N, C, H, W) for "
               "images; anything else: a folder of PNGs.\n\nexamples:\n"
               "  translate sample --checkpoint RUN --n 64 --out grid.png\n"
               "  translate sample --checkpoint RUN --n 100 --label 7 --out sevens/\n"
               "  translate sample --checkpoint RUN --interpolate --n 8 --out walk.png\n"
               "  translate sample --checkpoint RUN --arithmetic \"3,17,42 - 5,9,11 + 20,21,30\" --out sum.png\n"
               "  translate sample --checkpoint RING8_RUN --n 2500 --out points.npy")
    _checkpoint_arg(p)
    p.add_argument("--n", type=int, default=64, help="samples (rows with --interpolate) (default: 64)")
    p.add_argument("--out", required=True, metavar="PATH", help="file or folder to write")
    p.add_argument("--label", help="class name or index for conditional models (default: every class, a row "
                                   "each)")
    p.add_argument("--interpolate", action="store_true",
                   help="latent walks between random pairs, one row each (Radford et al. 2016)")
    p.add_argument("--steps", type=int, default=8, help="images per interpolation row (default: 8)")
    p.add_argument("--arithmetic", metavar="EXPR",
                   help="latent vector arithmetic (Radford et al. 2016): groups of indices into the seeded grid of "
                        "--n samples joined by + and -, e.g. \"3,17,42 - 5,9,11 + 20,21,30\"; each group's "
                        "vectors are averaged; writes the groups, their means, the result and 8 nearby samples "
                        "(write the grid first, without --arithmetic, to pick the indices)")
    p.add_argument("--nrow", type=int, default=0, help="images per grid row (default: 8, or per class)")
    _reject_arg(p)
    a = p.parse_args(argv)
    if a.n < 1:
        raise OptionError("--n must be at least 1")
    if a.reject_stretch and (a.interpolate or a.arithmetic):
        raise OptionError("--interpolate and --arithmetic use every latent code; each takes no --reject-stretch")
    import numpy as np
    import torch

    from translate.inference import Sampler
    from translate.training.runlog import save_png, save_samples

    sampler = Sampler.from_pretrained(a.checkpoint, device=a.device, reject_stretch=a.reject_stretch)
    out = Path(a.out)
    if a.arithmetic:
        if sampler.output != "images" or out.suffix.lower() != ".png":
            raise OptionError("--arithmetic works on image generators and writes one .png figure")
        if sampler.conditional and a.label is None:  # without it the grid is one row per class, other codes
            raise OptionError("--arithmetic on a class-conditional model needs --label: the indices refer to the "
                              "grid of `translate sample --label L --n N` (same --seed)")
        parts = sampler.arithmetic(a.arithmetic, a.n, seed=a.seed, label=a.label)
        _save_arithmetic(parts, out)
        terms = " ".join(f"{'-' if sign < 0 else '+'} mean{idx}" for sign, idx, _ in parts["groups"])
        print(f"wrote {out}: {terms.lstrip('+ ')} (rows: each group and its mean, then the result and "
              f"{len(parts['nearby'])} nearby samples)")
        return 0
    nrow = a.nrow or 8
    try:
        if a.interpolate:
            x = sampler.interpolate(a.n, a.steps, seed=a.seed, label=a.label)
            nrow = a.steps
        elif sampler.conditional and a.label is None:
            per = max(1, a.n // len(sampler.class_names))
            if a.reject_stretch:  # each row's codes are chosen among draws for its own class
                x = torch.cat([sampler.sample(per, labels=i, seed=a.seed) for i in range(len(sampler.class_names))])
            else:
                labels = [i for i in range(len(sampler.class_names)) for _ in range(per)]
                x = sampler.generate(sampler.noise(len(labels), a.seed), sampler.labels_for(labels, len(labels)))
            nrow = a.nrow or per
        else:
            x = sampler.sample(a.n, labels=a.label, seed=a.seed)
    except ValueError as e:
        raise OptionError(str(e)) from None
    if out.suffix == ".npy":
        import io

        from translate.storage.atomic import atomic_write_bytes

        buf = io.BytesIO()
        np.save(buf, x.numpy().astype(np.float32))
        atomic_write_bytes(out, buf.getvalue())
    elif out.suffix.lower() == ".png":
        save_samples({"samples": x}, out, nrow=nrow)
    else:
        if sampler.output != "images":
            raise OptionError("point models write .npy or .png (a scatter plot), not a folder")
        out.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(sampler.to_uint8(x)):
            save_png(img, out / f"{i:05d}.png")
    print(f"wrote {len(x)} samples to {out}")
    return 0


def _save_arithmetic(parts: dict, out: Path) -> None:
    """The paper's figure: one row per group (its exemplars, then their mean) led by its sign, then "="
    and the result followed by the nearby samples."""
    import numpy as np
    import torch
    from PIL import Image, ImageDraw

    from translate.data.transforms import grid_image
    from translate.training.runlog import save_png

    rows = [("+" if sign > 0 else "-", grid_image(images, nrow=len(images), scale=2))
            for (sign, _, _), images in zip(parts["groups"], parts["group_images"])]
    last = torch.cat([parts["result"], parts["nearby"]])
    rows.append(("=", grid_image(last, nrow=len(last), scale=2)))
    margin = 24
    canvas = Image.new("RGB", (margin + max(img.width for _, img in rows), sum(img.height for _, img in rows)),
                       "white")
    draw, y = ImageDraw.Draw(canvas), 0
    for sign, img in rows:
        canvas.paste(img.convert("RGB"), (margin, y))
        draw.text((7, y + img.height // 2 - 6), sign, fill="black")
        y += img.height
    save_png(torch.from_numpy(np.asarray(canvas).copy()).permute(2, 0, 1), out)


# -------------------------------------------------------------------------------------------- eval
def cmd_eval(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate eval", formatter_class=Formatter,
        description="Score a checkpoint.\n"
                    "modes: modes captured, % high-quality samples and reverse KL on 2,500 samples of a toy "
                    "mixture (VEEGAN/PacGAN protocol).\n"
                    "parzen: Gaussian Parzen-window log-likelihood of the MNIST test split from 10,000 samples, "
                    "sigma chosen on 1,000 held-out training digits (Goodfellow et al. 2014).\n"
                    "fid, kid: Inception-v3 features from a local weights file (--inception).\n"
                    "domain (translators, unpaired test photos): the share of outputs that a small CNN judge "
                    "(trained on the train photos minus 15% held out; cached in ~/.cache/translate) calls "
                    "target, whose target probability rose by at least 0.2 over the input's, whose edges "
                    "still match the input's, of which at least 8% is no global recolouring of the input, "
                    "which keep real photos' fine detail, and which a second judge that sees luminance only, "
                    "at the photo's own scale, also calls target; beside it each judge's accuracy on held-out "
                    "and real test photos and their rate on real target photos.\n"
                    "grain (translators, unpaired test photos): the strongest 2/4/8-pixel grid in the outputs' "
                    "spectrum (dB) and their fine colour speckle (8-bit levels), beside the same figures of "
                    "real target test photos; domain reports it too.\n"
                    "paired (translators on paired data such as facades): MAE, PSNR and SSIM against the test "
                    "pairs' ground truth, beside the same scores against another pair's ground truth.\n"
                    "class (conditional models): the share of samples that a judge trained on the real "
                    "training images assigns to the requested class.\n"
                    "docs/evaluation.md has each protocol and its limits.",
        epilog="examples:\n  translate eval --checkpoint RUN --metric modes\n"
               "  translate eval --checkpoint RUN --metric parzen --data mnist\n"
               "  translate eval --checkpoint RUN --metric fid --inception inception_v3.pth\n"
               "  translate eval --checkpoint horse2zebra --metric domain --data horse2zebra --direction both\n"
               "  translate eval --checkpoint horse2zebra --metric grain --data horse2zebra\n"
               "  translate eval --checkpoint facades --metric paired --data facades\n"
               "  translate eval --checkpoint mnist_cgan --metric class --data mnist")
    _checkpoint_arg(p)
    p.add_argument("--metric", required=True, choices=("modes", "parzen", "fid", "kid", "domain", "grain", "paired",
                                                             "class"),
                   help="what to measure (described above)")
    p.add_argument("--data", help="data set to compare with (default: the one the checkpoint trained on)")
    p.add_argument("--root", default=None, help="folder holding named data sets (default: the run's, or "
                                                "datasets)")
    p.add_argument("--n", type=int, default=0,
                   help="samples (default: 2500 modes, 10000 parzen, 5000 fid/kid, 100 per class for class; "
                        "domain, grain, paired: at most N test images, 0 = all)")
    p.add_argument("--direction", default="both", choices=(*DIRECTIONS, "both"),
                   help="domain, grain: which way to translate (a one-way model needs its own); paired: which half of "
                        "each test pair is the input (default: both for domain, the training's for paired)")
    p.add_argument("--size", type=int, default=0,
                   help="domain, grain, paired: side the test images are translated at (default: 256 for domain, the "
                        "demo's size; the training crop size for paired)")
    p.add_argument("--inception", help="Inception-v3 weights file for fid/kid, optional for domain "
                                       "(or $TRANSLATE_INCEPTION)")
    p.add_argument("--scale", default="auto", metavar="{auto,train,native,N}",
                   help="domain, grain: the scale the net works at, as translate convert --scale (default auto)")
    p.add_argument("--degrid", action=argparse.BooleanOptionalAction, default=None,
                   help="domain, grain: translate with or without the up-sampling grid taken out (translate "
                        "convert --degrid; default: as the bundle says)")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    _reject_arg(p)
    a = p.parse_args(argv)
    _writable_later(a.json, "json")  # said now, not after the judges have trained
    from translate.metrics import evaluate

    train_data, train_root = _training_data(Path(a.checkpoint))
    root = Path(a.root or train_root or "datasets")
    options = {"scale": a.scale, "degrid": a.degrid}  # how domain and grain translate the test photos
    if a.metric == "domain":
        res = evaluate.eval_domain(a.checkpoint, a.data or train_data, root, a.direction, a.size, a.device,
                                   _optional_inception(a.inception), a.n, options)
        res["checkpoint"] = str(a.checkpoint)
        return _report(res, a.json)
    if a.metric == "grain":
        res = evaluate.eval_grain(a.checkpoint, a.data or train_data, root, a.direction, a.size, a.device, a.n,
                                  options)
        res["checkpoint"] = str(a.checkpoint)
        return _report(res, a.json)
    if a.metric == "paired":
        res = evaluate.eval_paired(a.checkpoint, a.data or train_data, root, a.direction, a.size, a.device, a.n)
        res["checkpoint"] = str(a.checkpoint)
        return _report(res, a.json)
    from translate.inference import Sampler

    sampler = Sampler.from_pretrained(a.checkpoint, device=a.device, reject_stretch=a.reject_stretch)
    data = a.data or sampler.config.get("train_data") or train_data
    if a.metric == "modes":
        res = evaluate.eval_modes(sampler, Path(data).name if data else "", a.n or 2500, a.seed)
    elif a.metric == "parzen":
        res = evaluate.eval_parzen(sampler, root, a.n or 10000, seed=a.seed)
    elif a.metric == "class":
        res = evaluate.eval_class(sampler, data or "", root, a.n or 100, a.seed)
    else:
        dcfg = DataConfig(data=data or "", root=str(root), size=sampler.sample_shape[-1], holdout=0)
        res = evaluate.eval_inception(sampler, a.metric, dcfg, a.inception, a.n or 5000, a.seed)
    if a.reject_stretch:
        res["reject_stretch"] = a.reject_stretch
    res["checkpoint"] = str(a.checkpoint)
    return _report(res, a.json)


def _optional_inception(flag: str | None) -> Path | None:
    import os

    from translate.metrics.fid import INCEPTION_ENV, inception_path

    return inception_path(flag) if flag or os.environ.get(INCEPTION_ENV) else None


def _report(res: dict, json_path: str | None) -> int:
    _print_result(res)
    if json_path:
        from translate.storage.atomic import atomic_write_text

        atomic_write_text(json_path, json.dumps(res, indent=2) + "\n")
    return 0


def _training_data(path: Path) -> tuple[str | None, str | None]:
    """(data name, root) recorded by the run that made a checkpoint, if any."""
    for cfg_path in (path / "config.json", path.parent / "config.json"):
        try:
            d = json.loads(cfg_path.read_text())
        except (OSError, ValueError):
            continue
        if "data" in d and isinstance(d["data"], dict):
            return d["data"].get("data"), d["data"].get("root")
    return None, None


def _print_result(res: dict, indent: str = "") -> None:
    for k, v in res.items():
        if isinstance(v, dict) and "metric" in v:  # one section per direction
            print(f"{indent}{k}:")
            _print_result(v, indent + "  ")
        elif isinstance(v, dict):
            inner = ", ".join(f"{n} {x:.3f}" if isinstance(x, float) else f"{n} {x}" for n, x in v.items())
            print(f"{indent}{k:>22}: {inner}")
        else:
            print(f"{indent}{k:>22}: {v:.4f}" if isinstance(v, float) else f"{indent}{k:>22}: {v}")


def _writable_later(path: str | None, flag: str) -> None:
    """A file a command writes at its end: refused at the start when a file stands where a folder must be."""
    if not path:
        return
    folder = Path(path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OptionError(f"--{flag} {path}: {folder} is a file, where a folder must be; pick another path")
