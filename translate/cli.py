"""`translate` command line. Nothing below this module sees argparse.

`--help` must stay fast: only torch-free modules (config, models/configs) are imported at module
level; every command imports what it needs inside its handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from translate import __version__
from translate.config import DataConfig, RunConfig, TrainConfig, add_dataclass_args, build, given
from translate.models.configs import MODEL_CONFIGS, OBJECTIVE_NAMES

COMMANDS = {
    "train": "train a model (gan, dcgan, cgan, pix2pix, cyclegan); leaves a run folder with grids, losses, states",
    "sample": "draw samples (a PNG grid, a folder of PNGs, or an .npy of points) from a checkpoint",
    "eval": "score a checkpoint: modes, parzen, fid, kid, domain or class",
    "demo": "start the web demo (season transfer, object transfiguration, digit generation)",
    "convert": "translate a folder of images (or one image, or a list) with a pix2pix / CycleGAN checkpoint",
    "export": "write a run's generators as a small stand-alone bundle (optionally fp16) to share or ship",
    "list": "list models, objectives, nets and data set names",
    "download": "download an official CycleGAN / pix2pix data set",
    "download-weights": "download an official pretrained generator as a checkpoint folder",
    "import-official": "convert official CycleGAN / pix2pix generator .pth files into a checkpoint folder",
}

EXAMPLES = """examples:
  translate train --model gan --data ring8
  translate train --model cyclegan --data horse2zebra --size 128 --netG resnet_6blocks
  translate train --model pix2pix --data facades --direction BtoA
  translate train --model dcgan --data mnist --root ../shared/data --steps 3000
  translate train --model cgan --data digits --objective hinge --d-steps 2 --lr-d 4e-4
  translate train --resume checkpoints/run-001-dcgan-mnist --steps 6000
  translate sample --checkpoint checkpoints/run-001-dcgan-mnist --n 64 --out grid.png
  translate eval --checkpoint checkpoints/run-002-gan-ring8 --metric modes
  translate convert --checkpoint checkpoints/horse2zebra --input photos/ --output zebras/
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32, width=110)


def _top_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="translate", formatter_class=_Formatter, epilog=EXAMPLES,
        description="Adversarial image generation and image-to-image translation on one training engine.\n"
                    "Run `translate COMMAND --help` for a command's options.")
    p.add_argument("--version", action="version", version=f"translate {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from translate import cli_convert, cli_fetch

    handlers = {"train": cmd_train, "sample": cmd_sample, "eval": cmd_eval, "list": cmd_list,
                "export": cmd_export,
                "convert": cli_convert.cmd_convert, "demo": cli_convert.cmd_demo,
                "download": cli_fetch.cmd_download, "download-weights": cli_fetch.cmd_download_weights,
                "import-official": cli_fetch.cmd_import_official}
    if argv and argv[0] in handlers:
        try:
            return handlers[argv[0]](argv[1:]) or 0
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    _top_parser().parse_args(argv or ["--help"])
    return 0


# ------------------------------------------------------------------------------------------- train
def _train_parser(model_name: str | None) -> argparse.ArgumentParser:
    mcls = MODEL_CONFIGS.get(model_name) if model_name else None
    p = argparse.ArgumentParser(
        prog="translate train", formatter_class=_Formatter,
        description="Train a model. Defaults are the published ones; `--model NAME --help` also lists that "
                    "model's options and its paper defaults.\nProgress, losses.csv, losses.png, sample grids "
                    "and resumable states go to the run folder.",
        epilog="models: " + ", ".join(MODEL_CONFIGS) + "\nobjectives: " + ", ".join(OBJECTIVE_NAMES)
               + "\n\n" + EXAMPLES)
    p.add_argument("--model", choices=list(MODEL_CONFIGS), help="what to train (required unless --resume)")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="train with N processes on this machine: runs this command under `torchrun "
                        "--standalone --nproc-per-node N` (for several machines, call torchrun yourself: see "
                        "the README) (default: 1)")
    add_dataclass_args(p.add_argument_group("data"), DataConfig, "data",
                       defaults=mcls.DATA_DEFAULTS if mcls else None)
    add_dataclass_args(p.add_argument_group("training"), TrainConfig, "train",
                       defaults=mcls.TRAIN_DEFAULTS if mcls else None)
    if mcls:
        add_dataclass_args(p.add_argument_group(f"{model_name} (model options; paper defaults)"), mcls, "model")
    return p


def _next_run_dir(model: str, data: str, base: Path = Path("checkpoints")) -> Path:
    tag = Path(data).name.replace(" ", "_") or "data"
    nums = [int(p.name.split("-")[1]) for p in base.glob("run-*") if p.name.split("-")[1].isdigit()]
    return base / f"run-{max(nums, default=0) + 1:03d}-{model}-{tag}"


def _validate(cfg: RunConfig) -> None:
    t = cfg.train
    for name in ("steps", "batch_size", "d_steps", "log_every", "sample_every", "checkpoint_every", "n_samples"):
        if getattr(t, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1, got {getattr(t, name)}")
    if t.lr_g <= 0 or t.lr_d <= 0:
        raise SystemExit("learning rates (--lr-g, --lr-d) must be positive")
    if not 0.0 <= t.lr_decay <= 1.0:
        raise SystemExit(f"--lr-decay is a fraction of the run, between 0 and 1; got {t.lr_decay}")
    if t.epochs < 0 or t.epochs_decay < 0:
        raise SystemExit("--epochs and --epochs-decay cannot be negative")
    d = cfg.data
    if d.preprocess in ("resize_and_crop", "scale_width_and_crop") and 0 < d.load_size < d.crop_size:
        raise SystemExit(f"--load-size {d.load_size} is smaller than --crop-size {d.crop_size}: the crop would not "
                         f"fit; use a load size of at least the crop size")


def _split_nproc(argv: list[str]) -> tuple[int, list[str]]:
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--nproc", type=int, default=1)
    known, rest = pre.parse_known_args(argv)
    if known.nproc < 1:
        raise SystemExit("--nproc must be at least 1")
    return known.nproc, rest


def _hand_over_to_torchrun(nproc: int, argv: list[str], batch_size: int) -> None:
    """`--nproc N` (N > 1): re-execute this command under torchrun, PyTorch's own launcher, once the
    configuration is known to be valid (a bad one fails here, in one line, not in N processes)."""
    import os

    if nproc == 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return
    if batch_size % nproc:
        raise SystemExit(f"--batch-size {batch_size} is the global batch and must split evenly over {nproc} "
                         f"processes; use a multiple of {nproc}")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "translate", "train", *argv]
    print("running: torchrun " + " ".join(cmd[3:]), file=sys.stderr, flush=True)
    sys.stderr.flush()
    os.execv(sys.executable, cmd)


def cmd_train(argv: list[str]) -> int:
    nproc, argv = _split_nproc(argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model")
    pre.add_argument("--resume")
    known, _ = pre.parse_known_args(argv)
    saved = None
    if known.resume:
        cfg_path = Path(known.resume) / "config.json"
        if not cfg_path.is_file():
            raise SystemExit(f"--resume {known.resume}: {cfg_path} not found (is this a run folder?)")
        saved = RunConfig.from_dict(json.loads(cfg_path.read_text()))
        if known.model and known.model != saved.model_name:
            raise SystemExit(f"{known.resume} is a {saved.model_name!r} run; it cannot resume as --model "
                             f"{known.model}")
    model_name = saved.model_name if saved else known.model
    if model_name is not None and model_name not in MODEL_CONFIGS:
        from translate.registry import unknown_name_message

        raise SystemExit(unknown_name_message("model", model_name, MODEL_CONFIGS))
    ns = _train_parser(model_name).parse_args(argv)
    if saved:
        cfg = _resume_config(saved, ns)
    else:
        if model_name is None:
            raise SystemExit("translate train: --model is required (one of: " + ", ".join(MODEL_CONFIGS) + ")")
        mcls = MODEL_CONFIGS[model_name]
        train_given = given(ns, "train")
        if "steps" in train_given and "epochs" not in train_given:
            train_given.setdefault("epochs_decay", 0)  # --steps replaces the model's epoch schedule
            train_given["epochs"] = 0
        data_given = given(ns, "data")
        if data_given.get("size") and mcls.DATA_DEFAULTS:  # --size S: crop S from images scaled to S*286/256
            data_given.setdefault("crop_size", data_given["size"])
            data_given.setdefault("load_size", round(data_given["size"] * 286 / 256))
        cfg = RunConfig(model_name, build(TrainConfig, mcls.TRAIN_DEFAULTS, train_given),
                        build(DataConfig, mcls.DATA_DEFAULTS, data_given), build(mcls, given(ns, "model")))
        if not cfg.data.data:
            raise SystemExit("translate train: --data is required (e.g. ring8, mnist, digits, or a folder)")
    _validate(cfg)
    if cfg.train.dry_run:
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    _hand_over_to_torchrun(nproc, argv, cfg.train.batch_size)
    from translate.checkpoint import latest_state
    from translate.distributed import Dist
    from translate.trainer import Trainer, resolve_device

    dist = Dist.from_env(resolve_device(cfg.train.device).type)  # one process unless torchrun started us
    if saved:
        run_dir = Path(known.resume)
    else:
        # under torchrun rank 0 picks the folder, so that all processes write to (and check) the same one
        run_dir = Path(cfg.train.out) if cfg.train.out else Path(dist.broadcast_text(
            str(_next_run_dir(model_name, cfg.data.data)) if dist.is_main else ""))
        if latest_state(run_dir) is not None:
            raise SystemExit(f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick "
                             f"another --out")
    try:
        Trainer(cfg, run_dir, resume=saved is not None).fit()
    finally:
        dist.close()
    return 0


def _resume_config(saved: RunConfig, ns: argparse.Namespace) -> RunConfig:
    from translate.trainer import RESUME_MUTABLE

    typed = given(ns, "train")
    frozen = {k: v for k, v in typed.items() if k not in RESUME_MUTABLE and getattr(saved.train, k) != v}
    others = {**given(ns, "data"), **given(ns, "model")}
    if frozen or others:
        names = ", ".join("--" + k.replace("_", "-") for k in {**frozen, **others})
        raise SystemExit(f"cannot change {names} when resuming (the run would not continue exactly); "
                         f"only {', '.join('--' + k.replace('_', '-') for k in RESUME_MUTABLE[:6])} may change")
    if saved.train.epochs and typed.get("steps", saved.train.steps) != saved.train.steps and "epochs" not in typed:
        raise SystemExit(f"this run's length is set in epochs (--epochs {saved.train.epochs} --epochs-decay "
                         f"{saved.train.epochs_decay}); change those instead of --steps")
    saved.train = build(TrainConfig, vars(saved.train), {k: v for k, v in typed.items() if k != "resume"})
    saved.train.resume = ""
    return saved


# ------------------------------------------------------------------------------------------ sample
def _checkpoint_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, metavar="DIR",
                   help="a bundle (config.json + model.safetensors) or a run folder (its newest state, EMA "
                        "weights when the run kept them)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="(default: auto)")
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
        prog="translate sample", formatter_class=_Formatter,
        description="Draw samples from a trained generator.",
        epilog="OUT ending in .png: one grid; .npy: an (N, 2) float array for point models (N, C, H, W) for "
               "images; anything else: a folder of PNGs.\n\nexamples:\n"
               "  translate sample --checkpoint RUN --n 64 --out grid.png\n"
               "  translate sample --checkpoint RUN --n 100 --label 7 --out sevens/\n"
               "  translate sample --checkpoint RUN --interpolate --n 8 --out walk.png\n"
               "  translate sample --checkpoint RING8_RUN --n 2500 --out points.npy")
    _checkpoint_arg(p)
    p.add_argument("--n", type=int, default=64, help="samples (rows with --interpolate) (default: 64)")
    p.add_argument("--out", required=True, metavar="PATH", help="file or folder to write")
    p.add_argument("--label", help="class name or index for conditional models (default: every class, a row "
                                   "each)")
    p.add_argument("--interpolate", action="store_true",
                   help="latent walks between random pairs, one row each (Radford et al. 2016)")
    p.add_argument("--steps", type=int, default=8, help="images per interpolation row (default: 8)")
    p.add_argument("--nrow", type=int, default=0, help="images per grid row (default: 8, or per class)")
    _reject_arg(p)
    a = p.parse_args(argv)
    if a.n < 1:
        raise SystemExit("--n must be at least 1")
    if a.reject_stretch and a.interpolate:
        raise SystemExit("--interpolate walks through every latent code; it takes no --reject-stretch")
    import numpy as np
    import torch

    from translate.inference import Sampler
    from translate.runlog import save_png, save_samples

    sampler = Sampler.from_pretrained(a.checkpoint, device=a.device, reject_stretch=a.reject_stretch)
    out = Path(a.out)
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
        raise SystemExit(f"translate sample: {e}") from None
    if out.suffix == ".npy":
        import io

        from translate.checkpoint import atomic_write_bytes

        buf = io.BytesIO()
        np.save(buf, x.numpy().astype(np.float32))
        atomic_write_bytes(out, buf.getvalue())
    elif out.suffix.lower() == ".png":
        save_samples({"samples": x}, out, nrow=nrow)
    else:
        if sampler.output != "images":
            raise SystemExit("point models write .npy or .png (a scatter plot), not a folder")
        out.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(sampler.to_uint8(x)):
            save_png(img, out / f"{i:05d}.png")
    print(f"wrote {len(x)} samples to {out}")
    return 0


# -------------------------------------------------------------------------------------------- eval
def cmd_eval(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate eval", formatter_class=_Formatter,
        description="Score a checkpoint. modes: modes captured, % high-quality samples and reverse KL on "
                    "2,500 samples of a toy mixture (VEEGAN/PacGAN protocol). parzen: Gaussian Parzen-window "
                    "log-likelihood of the MNIST test split from 10,000 samples, sigma chosen on 1,000 "
                    "held-out training digits (Goodfellow et al. 2014). fid/kid: Inception-v3 features "
                    "from a local weights file. domain (pix2pix/CycleGAN on an unpaired data set): a small "
                    "CNN judge trained on the real trainA/trainB images (fixed recipe, cached in "
                    "~/.cache/translate by the data's content) reports its accuracy on the real test images, "
                    "then the share of translated test images it assigns to the target domain, relative to "
                    "real target images, and the SSIM of input and output edge maps (content kept); KID too "
                    "when Inception weights are given. paired (translators on paired data such as facades): "
                    "MAE, PSNR and SSIM of the outputs against the ground truth of the test pairs, beside the "
                    "same scores against another pair's ground truth. class (conditional models): the share of samples "
                    "that a judge trained on the real training images assigns to the requested class.",
        epilog="examples:\n  translate eval --checkpoint RUN --metric modes\n"
               "  translate eval --checkpoint RUN --metric parzen --root ../shared/data\n"
               "  translate eval --checkpoint RUN --metric fid --inception inception_v3.pth\n"
               "  translate eval --checkpoint horse2zebra --metric domain --data horse2zebra --root "
               "../shared/data --direction both\n"
               "  translate eval --checkpoint facades --metric paired --data facades --root ../shared/data\n"
               "  translate eval --checkpoint mnist_cgan --metric class --data mnist --root ../shared/data")
    _checkpoint_arg(p)
    p.add_argument("--metric", required=True, choices=("modes", "parzen", "fid", "kid", "domain", "paired", "class"))
    p.add_argument("--data", help="data set to compare with (default: the one the checkpoint trained on)")
    p.add_argument("--root", default=None, help="folder holding named data sets (default: the run's, or "
                                                "datasets)")
    p.add_argument("--n", type=int, default=0,
                   help="samples (default: 2500 modes, 10000 parzen, 5000 fid/kid, 100 per class for class; "
                        "domain, paired: at most N test images, 0 = all)")
    p.add_argument("--direction", default="both", choices=("AtoB", "BtoA", "both"),
                   help="domain: which way to translate (a one-way model needs its own); paired: which half of "
                        "each test pair is the input (default: both for domain, the training's for paired)")
    p.add_argument("--size", type=int, default=0,
                   help="domain, paired: side the test images are translated at (default: the training crop size)")
    p.add_argument("--inception", help="Inception-v3 weights file for fid/kid, optional for domain "
                                       "(or $TRANSLATE_INCEPTION)")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    _reject_arg(p)
    a = p.parse_args(argv)
    from translate import evaluate

    train_data, train_root = _training_data(Path(a.checkpoint))
    root = Path(a.root or train_root or "datasets")
    if a.metric == "domain":
        res = evaluate.eval_domain(a.checkpoint, a.data or train_data, root, a.direction, a.size, a.device,
                                   _optional_inception(a.inception), a.n)
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
        from translate.checkpoint import atomic_write_text

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


# ------------------------------------------------------------------------------------------ export
def cmd_export(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate export", formatter_class=_Formatter,
        description="Write the generators of a run folder (its newest state; EMA weights when kept) or of a "
                    "bundle as a stand-alone bundle folder: config.json + model.safetensors, nothing else. "
                    "--half stores the weights in fp16 (half the bytes); they are restored to fp32 on load.",
        epilog="example:\n  translate export --checkpoint checkpoints/run-h2z-128 --out checkpoints/horse2zebra --half")
    p.add_argument("--checkpoint", required=True, metavar="DIR", help="a run folder or a bundle")
    p.add_argument("--out", required=True, metavar="DIR", help="the bundle folder to write")
    p.add_argument("--half", action="store_true", help="store floating-point weights in fp16")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    a = p.parse_args(argv)
    from translate.checkpoint import export_bundle

    res = export_bundle(a.checkpoint, a.out, half=a.half, overwrite=a.overwrite)
    note = f", largest fp16 rounding {res['max_abs_rounding']:.2e}" if a.half else ""
    print(f"wrote {a.out} ({res['bytes'] / 2**20:.1f} MiB of weights{note})")
    return 0


# -------------------------------------------------------------------------------------------- list
def cmd_list(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="translate list", description="List what can be named on the command line.")
    p.parse_args(argv)
    from translate.data.datasets import TOY_NAMES
    from translate.registry import MODELS, NETS, OBJECTIVES

    print("models:     " + ", ".join(MODELS.names()))
    print("objectives: " + ", ".join(OBJECTIVES.names()))
    print("nets:       " + ", ".join(NETS.names()))
    from translate.data.download import CYCLEGAN_DATASETS, CYCLEGAN_WEIGHTS, PIX2PIX_DATASETS, PIX2PIX_WEIGHTS

    print("data:       " + ", ".join((*TOY_NAMES, "mnist", "digits", "cifar10")) + ", or a folder of images")
    print("downloadable data (pix2pix, cyclegan): " + ", ".join(sorted(set(CYCLEGAN_DATASETS) | set(PIX2PIX_DATASETS))))
    print("pretrained weights: " + ", ".join((*CYCLEGAN_WEIGHTS, *(f"pix2pix_{n}" for n in PIX2PIX_WEIGHTS))))
    return 0
