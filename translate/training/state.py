"""Run states for exact resume: each saved step a folder state/step-NNNNNNN of safetensors (weights, optimizer
moments, random states) and state.json (translate/storage/checkpoint.py has the layout and reads them back),
written atomically, the oldest beyond `keep` removed; and fine-tuning from another checkpoint's generators."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from translate.errors import CheckpointError, OptionError, TrainingError
from translate.nets.spec import build_net
from translate.storage.atomic import AtomicDir
from translate.storage.checkpoint import (
    STATE_DIR,
    STATE_FORMAT,
    contiguous,
    list_states,
    load_checkpoint,
    load_into,
    net_tensors,
    state_dir,
    write_json,
)


def save_state(run_dir: Path, step: int, weights: dict, optim: dict, meta: dict, keep: int) -> Path:
    final = state_dir(run_dir, step)
    try:
        with AtomicDir(final) as tmp:  # a failed write leaves nothing: the states before it stay intact
            save_file(contiguous(weights), str(tmp / "weights.safetensors"))
            save_file(contiguous(optim), str(tmp / "optim.safetensors"))
            write_json(tmp / "state.json", {"format": STATE_FORMAT, "step": step, **meta})
    except OSError as e:  # a full disk, a folder gone read-only
        kept = list_states(run_dir)
        last = f"the last saved state is {kept[-1]}" if kept else "no state was saved before"
        raise TrainingError(f"could not save the state of step {step} in {final.parent} ({e.strerror or e}); "
                            f"{last}: free space, then continue with translate train --resume {run_dir}") from None
    for old in list_states(run_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    # half-written states of a process killed mid-save (their temporary names): one trainer owns a run folder,
    # so none of them is being written now
    for partial in (Path(run_dir) / STATE_DIR).glob(".step-*"):
        shutil.rmtree(partial, ignore_errors=True)
    return final


def flatten_optimizer(prefix: str, sd: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer state_dict into tensors (for safetensors) and a JSON-able remainder."""
    tensors, plain = {}, {"param_groups": sd["param_groups"], "state": {}}
    for idx, st in sd["state"].items():
        plain["state"][str(idx)] = {}
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}.{idx}.{k}"] = v
            else:
                plain["state"][str(idx)][k] = v
    return tensors, plain


def unflatten_optimizer(prefix: str, tensors: dict, plain: dict) -> dict:
    state: dict = {int(i): dict(v) for i, v in plain["state"].items()}
    for key, v in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1:].split(".", 1)
            state.setdefault(int(idx), {})[name] = v
    return {"state": state, "param_groups": plain["param_groups"]}


def warm_start(nets: dict[str, torch.nn.Module], export_config: dict, path: Path, source: str) -> str:
    """Load a checkpoint's generators into a new run's `nets` (fine-tuning: `translate train --init-from`).

    Nets are matched by the direction they translate, so a CUT run (one net "G") starts from either half of
    a two-direction bundle and a CycleGAN run from a CycleGAN bundle or run; the architectures must be the
    same, except that a ResNet generator with transposed convs may start one with `antialias_up`. Everything
    else (discriminators, heads, optimizers, the step) starts fresh. `path` is the checkpoint folder that
    `source` (what the user gave) resolved to. Returns a line for the log."""
    if "directions" not in export_config:
        raise OptionError("`init_from` fine-tunes image translators (pix2pix, CycleGAN, CUT, FastCUT)")
    config, tensors = load_checkpoint(path)
    if "directions" not in config:
        raise CheckpointError(f"`init_from` {source}: it holds a {config.get('model')!r} model with no "
                              f"translation directions; give a translator checkpoint of the same architecture")
    loaded = []
    for direction, name in export_config["directions"].items():
        theirs = config["directions"].get(direction)
        if theirs is None:
            raise CheckpointError(f"`init_from` {source} translates {', '.join(config['directions'])}; this run "
                                  f"needs {direction}")
        mine, other = export_config["nets"][name], config["nets"][theirs]
        kw, kw_other = mine.get("kwargs", {}), other.get("kwargs", {})
        differ = sorted(k for k in {*kw, *kw_other} if kw.get(k) != kw_other.get(k))
        how = ""
        if mine == other:
            load_into(nets[name], net_tensors(tensors, theirs), path)
        elif mine["name"] == other["name"] == "resnet_g" and differ == ["antialias_up"] and kw.get("antialias_up"):
            # a transposed-conv generator into anti-aliased up-sampling: the same net with its
            # checkerboard blurred away (ResnetGenerator.take_transposed), to fine-tune from
            plain = build_net(other, str(path))
            load_into(plain, net_tensors(tensors, theirs), path)
            nets[name].take_transposed(plain)
            how = ", its transposed convs as anti-aliased up-sampling"
        else:
            raise CheckpointError(f"`init_from` {source}: its {direction} net is {_describe(other)}, this run "
                                  f"builds {_describe(mine)}; give the options that make them equal "
                                  f"({', '.join(differ) or 'the net'})")
        loaded.append(f"{name} <- {direction} of {path} (step {config.get('step', '?')}{how})")
    return "fine-tuning: " + "; ".join(loaded)


def _describe(spec: dict) -> str:
    kw = spec.get("kwargs", {})
    return f"{spec.get('name')} ({', '.join(f'{k}={v}' for k, v in sorted(kw.items()))})"


