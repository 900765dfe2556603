"""`translate train`: build a RunConfig from the model's paper defaults and the flags typed, then hand it to
the Trainer (under torchrun when --nproc asks for several processes)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from translate.cli import EXAMPLES, Formatter, interrupted
from translate.config import DataConfig, RunConfig, TrainConfig, default_load
from translate.errors import OptionError
from translate.options import add_dataclass_args, build, given
from translate.registry import MODELS, OBJECTIVES, data_names, model_config


# ------------------------------------------------------------------------------------------- train
def _train_parser(model_name: str | None) -> argparse.ArgumentParser:
    mcls = model_config(model_name) if model_name else None
    p = argparse.ArgumentParser(
        prog="translate train", formatter_class=Formatter,
        description="Train a model. Defaults are the published ones; `--model NAME --help` also lists that "
                    "model's options and its paper defaults.\nProgress, losses.csv, losses.png, sample grids "
                    "and resumable states go to the run folder.",
        epilog="models: " + ", ".join(MODELS) + "\nobjectives: " + ", ".join(OBJECTIVES)
               + "\n\n" + EXAMPLES)
    p.add_argument("--model", choices=MODELS.names(), help="what to train (required unless --resume)")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="train with N processes on this machine: runs this command under `torchrun "
                        "--standalone --nproc-per-node N` (for several machines, call torchrun yourself: see "
                        "docs/training.md) (default: 1)")
    add_dataclass_args(p.add_argument_group("data"), DataConfig, "data",
                       defaults=mcls.DATA_DEFAULTS if mcls else None,
                       helps={"data": _data_help(model_name)} if model_name else None)
    add_dataclass_args(p.add_argument_group("training"), TrainConfig, "train",
                       defaults=mcls.TRAIN_DEFAULTS if mcls else None)
    if mcls:
        add_dataclass_args(p.add_argument_group(f"{model_name} (model options; paper defaults)"), mcls, "model")
    return p


def _data_help(model_name: str) -> str:
    kinds = MODELS.info(model_name)["data_kinds"]
    folder = {"paired": "a folder of A|B pairs (train/, test/)", "unpaired": "a folder with trainA/ trainB/",
              "labeled": "a folder with one sub-folder per class"}.get(kinds[0], "a folder of images")
    return (f"a data set name ({', '.join(data_names(model_name))}; those missing "
            f"from --root are downloaded) or {folder}")


def _next_run_dir(model: str, data: str, base: Path = Path("checkpoints")) -> Path:
    tag = Path(data).name.replace(" ", "_") or "data"
    nums = [int(p.name.split("-")[1]) for p in base.glob("run-*") if p.name.split("-")[1].isdigit()]
    return base / f"run-{max(nums, default=0) + 1:03d}-{model}-{tag}"


def _claim_run_dir(out: Path | None, model: str, data: str) -> tuple[Path, list[Path]]:
    """Take the run folder for this run alone, before anything is written: an absent or empty folder whose
    config.json this process creates exclusively (O_EXCL), so that a second trainer into the same --out, even
    one started at the same moment, refuses; a numbered folder moves on to the next free number instead.
    Returns the folder and the folders the claim created (run folder first), for _release_claim."""
    import os

    for _ in range(1000):
        run_dir = out or _next_run_dir(model, data)
        if run_dir.exists() and not run_dir.is_dir():
            raise OptionError(f"`out` {run_dir} is a file; give a folder for the run")
        if run_dir.is_dir() and any(run_dir.iterdir()):
            if out is None:
                continue  # another trainer took this number a moment ago
            from translate.storage.checkpoint import latest_state

            if latest_state(run_dir) is not None:
                raise OptionError(f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick "
                                  f"another --out")
            raise OptionError(f"`out` {run_dir} is not empty; a new run starts in an empty or new folder (pick "
                              f"another --out, or empty this one yourself)")
        created = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(run_dir / "config.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return run_dir, created
        except FileExistsError:
            if out is not None:
                raise OptionError(f"`out` {run_dir} was just claimed by another trainer; pick another --out") \
                    from None
    raise OptionError("could not find a free checkpoints/run-NNN folder; pass --out DIR")


# The papers train at 256 px (pix2pix's 2048x1024 Cityscapes runs crop 512); a side of 4096 already needs
# gigabytes per example, and beyond it an image is resized before anything could say no.
MAX_TRAIN_SIDE = 4096


def _validate(cfg: RunConfig) -> None:
    t = cfg.train
    import dataclasses
    import math

    for part in (t, cfg.data, cfg.model):  # nan or inf is never a setting: it fails deep inside, or trains garbage
        for f in dataclasses.fields(part):
            value = getattr(part, f.name)
            values = value if isinstance(value, tuple) else (value,)
            if any(isinstance(v, float) and not math.isfinite(v) for v in values):
                raise OptionError(f"--{f.name.replace('_', '-')} must be a finite number, got "
                                  f"{' '.join(map(str, values))}")
    for name in ("betas_g", "betas_d"):
        if not all(0.0 <= b < 1.0 for b in getattr(t, name)):
            raise OptionError(f"--{name.replace('_', '-')}: Adam's betas lie in [0, 1), got "
                              f"{' '.join(map(str, getattr(t, name)))}")
    if not (t.ema == 0 or 0 < t.ema < 1):
        raise OptionError(f"--ema is a decay between 0 and 1 (e.g. 0.999; 0 turns it off), got {t.ema}")
    if not 0 <= t.momentum <= 1 or t.weight_decay < 0 or t.grad_clip < 0:
        raise OptionError("--momentum lies in [0, 1]; --weight-decay and --grad-clip cannot be negative")
    for name in ("steps", "batch_size", "d_steps", "log_every", "sample_every", "checkpoint_every", "n_samples"):
        if getattr(t, name) < 1:
            raise OptionError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(t, name)}")
    if t.lr_g <= 0 or t.lr_d <= 0:
        raise OptionError("learning rates (--lr-g, --lr-d) must be positive")
    if not 0.0 <= t.lr_decay <= 1.0:
        raise OptionError(f"--lr-decay is a fraction of the run, between 0 and 1; got {t.lr_decay}")
    if t.epochs < 0 or t.epochs_decay < 0:
        raise OptionError("--epochs and --epochs-decay cannot be negative")
    d = cfg.data
    for name in ("size", "load_size", "crop_size"):
        if not 0 <= getattr(d, name) <= MAX_TRAIN_SIDE:
            raise OptionError(f"--{name.replace('_', '-')} {getattr(d, name)}: training images are at most "
                              f"{MAX_TRAIN_SIDE} px a side (0: the model's default)")
    if d.preprocess in ("resize_and_crop", "scale_width_and_crop") and 0 < d.load_size < d.crop_size:
        raise OptionError(f"--load-size {d.load_size} is smaller than --crop-size {d.crop_size}: the crop would not "
                         f"fit; use a load size of at least the crop size")


def _saved_config(run: Path) -> RunConfig:
    """The configuration of the run in `run`: its config.json, or where that is damaged or missing, the one
    every saved state keeps (the newest that reads), with a line saying so."""
    from translate.errors import CheckpointError
    from translate.storage.files import read_bounded

    cfg_path = run / "config.json"
    try:
        return RunConfig.from_dict(json.loads(read_bounded(cfg_path, 1 << 20, CheckpointError, "run config")))
    except (CheckpointError, ValueError, KeyError, TypeError, AttributeError) as e:
        why = str(e) if isinstance(e, CheckpointError) else f"{cfg_path} is damaged ({type(e).__name__}: {e})"
    from translate.storage.checkpoint import list_states, read_json

    for state in reversed(list_states(run)):
        try:
            saved = RunConfig.from_dict(read_json(state / "state.json")["config"])
        except (CheckpointError, ValueError, KeyError, TypeError, AttributeError):
            continue
        print(f"note: {why}; using the configuration kept in {state / 'state.json'}", file=sys.stderr)
        return saved
    raise OptionError(f"--resume {run}: {why}, and no saved state keeps a configuration (is this a run folder?)")


def _split_nproc(argv: list[str]) -> tuple[int, list[str]]:
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--nproc", type=int, default=1)
    known, rest = pre.parse_known_args(argv)
    if known.nproc < 1:
        raise OptionError("--nproc must be at least 1")
    return known.nproc, rest


def _hand_over_to_torchrun(nproc: int, argv: list[str], batch_size: int) -> None:
    """`--nproc N` (N > 1): re-execute this command under torchrun, PyTorch's own launcher, once the
    configuration is known to be valid (a bad one fails here, in one line, not in N processes)."""
    import os

    if nproc == 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return
    if batch_size % nproc:
        raise OptionError(f"--batch-size {batch_size} is the global batch and must split evenly over {nproc} "
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
        saved = _saved_config(Path(known.resume))
        if known.model and known.model != saved.model_name:
            raise OptionError(f"{known.resume} is a {saved.model_name!r} run; it cannot resume as --model "
                             f"{known.model}")
    model_name = saved.model_name if saved else known.model
    if model_name is not None:
        MODELS.entry(model_name)  # an unknown name fails here, with "did you mean"
    ns = _train_parser(model_name).parse_args(argv)
    if saved:
        cfg = _resume_config(saved, ns)
    else:
        if model_name is None:
            raise OptionError("--model is required (one of: " + ", ".join(MODELS) + ")")
        mcls = model_config(model_name)
        train_given = given(ns, "train")
        if "steps" in train_given and "epochs" not in train_given:
            train_given.setdefault("epochs_decay", 0)  # --steps replaces the model's epoch schedule
            train_given["epochs"] = 0
        data_given = given(ns, "data")
        if data_given.get("size") and mcls.DATA_DEFAULTS:  # --size S: crop S from images scaled to S*286/256
            data_given.setdefault("crop_size", data_given["size"])
            data_given.setdefault("load_size", default_load(data_given["size"]))
        cfg = RunConfig(model_name, build(TrainConfig, mcls.TRAIN_DEFAULTS, train_given),
                        build(DataConfig, mcls.DATA_DEFAULTS, data_given), build(mcls, given(ns, "model")))
        if not cfg.data.data:
            raise OptionError("--data is required (e.g. ring8, mnist, digits, or a folder)")
    _validate(cfg)
    if cfg.train.dry_run:
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    _hand_over_to_torchrun(nproc, argv, cfg.train.batch_size)
    from translate.training.distributed import Dist
    from translate.training.trainer import Trainer, resolve_device

    dist = Dist.from_env(resolve_device(cfg.train.device).type)  # one process unless torchrun started us
    created: list[Path] = []  # folders the claim made, given back if the start fails
    if saved:
        run_dir = Path(known.resume)
    else:
        # under torchrun rank 0 claims the folder, so that all processes write to (and check) the same one
        claimed = ""
        if dist.is_main:
            try:
                claimed_dir, created = _claim_run_dir(Path(cfg.train.out) if cfg.train.out else None, model_name,
                                                      cfg.data.data)
                claimed = str(claimed_dir)
            except OptionError as e:
                claimed = "!" + str(e)
        claimed = dist.broadcast_text(claimed)
        if claimed.startswith("!"):
            raise OptionError(claimed[1:])
        run_dir = Path(claimed)
    try:
        trainer = Trainer(cfg, run_dir, resume=saved is not None)
        if interrupted():  # a stop signal whose KeyboardInterrupt a library swallowed: nothing written yet
            raise KeyboardInterrupt
        trainer.fit()
    except BaseException:
        if not saved and dist.is_main:
            _release_claim(run_dir, created)
        raise
    finally:
        dist.close()
    return 0


def _release_claim(run_dir: Path, created: list[Path]) -> None:
    """A run that failed before writing anything (bad data, Ctrl-C while loading) gives its folder back:
    the same command, corrected, can use the same --out."""
    claim = run_dir / "config.json"
    if claim.is_file() and claim.stat().st_size == 0 and [p.name for p in run_dir.iterdir()] == ["config.json"]:
        claim.unlink()
        for folder in created:  # the run folder, and checkpoints/ itself when the claim made them
            try:
                folder.rmdir()
            except OSError:
                break


def _resume_config(saved: RunConfig, ns: argparse.Namespace) -> RunConfig:
    from translate.training.trainer import RESUME_MUTABLE

    typed = given(ns, "train")
    frozen = {k: v for k, v in typed.items() if k not in RESUME_MUTABLE and not _same(getattr(saved.train, k), v)}
    # the original command line repeated is fine: only values that differ from the run's are refused
    others = {k: v for k, v in given(ns, "data").items()
              if not (_same_data(v, saved.data) if k == "data" else _same(getattr(saved.data, k), v))}
    others.update({k: v for k, v in given(ns, "model").items() if not _same(getattr(saved.model, k), v)})
    if frozen or others:
        names = ", ".join("--" + k.replace("_", "-") for k in {**frozen, **others})
        raise OptionError(f"cannot change {names} when resuming (the run would not continue exactly); "
                         f"only {', '.join('--' + k.replace('_', '-') for k in RESUME_MUTABLE[:6])} may change")
    if saved.train.epochs and typed.get("steps", saved.train.steps) != saved.train.steps and "epochs" not in typed:
        raise OptionError(f"this run's length is set in epochs (--epochs {saved.train.epochs} --epochs-decay "
                         f"{saved.train.epochs_decay}); change those instead of --steps")
    saved.train = build(TrainConfig, vars(saved.train), {k: v for k, v in typed.items() if k != "resume"})
    saved.train.resume = ""
    return saved




def _same(saved, typed) -> bool:
    def norm(v):  # flags arrive as lists, saved tuples stay tuples
        return tuple(v) if isinstance(v, (list, tuple)) else v

    return norm(saved) == norm(typed)


def _same_data(typed: str, saved) -> bool:
    """`--data digits` again, or the same folder spelt another way (relative, absolute, under --root)."""
    if typed == saved.data:
        return True

    def places(name: str) -> set[Path]:
        return {p.resolve() for p in (Path(name), Path(saved.root) / name) if p.exists()}

    return bool(places(typed) & places(saved.data))
