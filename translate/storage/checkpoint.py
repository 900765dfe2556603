"""The two checkpoint formats, and everything that reads them: the run state for exact resume (written by
training/state.py) and inference bundles. safetensors for tensors, JSON for the rest; no pickle.

Run state  <run>/state/step-XXXXXXX/  weights.safetensors  (every net, "<attr>.<param>", EMA as "ema.*")
                                      optim.safetensors    (optimizer moments "optim.<role>.*", RNG "rng.*")
                                      state.json           (step, config, data position, optimizer
                                                            hyper-parameters, scaler, versions)
Bundle     <dir>/config.json + model.safetensors (generators only, EMA weights when the run had EMA;
                                                  stored in fp16 by `translate export --half`, restored
                                                  to fp32 on load)
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from translate.config import DIRECTIONS
from translate.errors import CheckpointError
from translate.storage.atomic import AtomicDir
from translate.storage.files import read_bounded

STATE_FORMAT = "translate-state/1"
BUNDLE_FORMAT = "translate-bundle/1"
STATE_DIR = "state"


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n")


MAX_JSON_DEPTH = 32  # ours nest 4 deep; a crafted document nested thousands deep must not recurse forever


def read_json(path: Path) -> dict:
    if not path.exists() and not path.is_symlink():
        raise CheckpointError(f"{path} is missing: not a translate checkpoint folder")
    raw = read_bounded(path, 16 << 20, CheckpointError, "translate config")
    try:
        doc = json.loads(raw.decode())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} is not valid JSON ({e}); the checkpoint is damaged") from None
    except RecursionError:
        raise CheckpointError(f"{path} nests deeper than JSON configs do; not a translate config") from None
    if not isinstance(doc, dict):
        raise CheckpointError(f"{path} holds a JSON {type(doc).__name__}, not an object; the checkpoint is damaged")
    if _depth(doc) > MAX_JSON_DEPTH:
        raise CheckpointError(f"{path} nests deeper than {MAX_JSON_DEPTH} levels; not a translate config")
    return doc


def _depth(doc) -> int:
    """Nesting depth, without recursion."""
    deepest, todo = 0, [(doc, 1)]
    while todo:
        node, d = todo.pop()
        deepest = max(deepest, d)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        todo.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def net_tensors(tensors: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """The tensors of one net (or other part) of a flat checkpoint dict, keys without its "NAME." prefix."""
    return {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}


def check_bundle_config(config: dict, where: Path | str) -> dict:
    """The fields inference reads, checked before any net is built: one CheckpointError naming the file and
    the field. (Each net's spec is checked by nets.spec.build_net when it is built.)"""
    def bad(field: str, why: str):
        raise CheckpointError(f"{where}: field {field!r} {why}")

    nets = config.get("nets")
    if not isinstance(nets, dict) or not nets:
        bad("nets", "must name at least one net")
    kind = config.get("kind")
    if kind == "translator":
        directions = config.get("directions")
        if not isinstance(directions, dict) or not directions:
            bad("directions", "must map AtoB and/or BtoA to a net")
        for d, net in directions.items():
            if d not in DIRECTIONS:
                bad("directions", f"has {d!r}; only AtoB and BtoA exist")
            if net not in nets:
                bad("directions", f"maps {d} to {net!r}, which is not in 'nets'")
        if not isinstance(config.get("multiple", 4), int) or not 1 <= config.get("multiple", 4) <= 1024:
            bad("multiple", "must be an integer from 1 to 1024")
        if not isinstance(config.get("degrid", False), bool):
            bad("degrid", "must be true or false")
        for field in ("train_size", "train_frame"):  # read by inference.work_side
            v = config.get(field, 0)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 16384:
                bad(field, "must be an integer from 0 to 16384")
    elif kind == "sampler":
        if "G" not in nets:
            bad("nets", "must hold the generator 'G'")
        if not isinstance(config.get("z_dim"), int) or not 1 <= config["z_dim"] <= 16384:
            bad("z_dim", "must be an integer from 1 to 16384")
        shape = config.get("sample_shape")
        if not isinstance(shape, list) or not all(isinstance(v, int) and 1 <= v <= 8192 for v in shape):
            bad("sample_shape", "must be a list of sizes from 1 to 8192")
        output = config.get("output")
        if output not in ("images", "points"):
            bad("output", "must be 'images' or 'points'")
        if (output == "points" and len(shape) != 1) or (output == "images" and len(shape) != 3):
            bad("sample_shape", f"is {shape}: points are (D,), images (C, H, W)")
        if output == "images" and (shape[0] not in (1, 3) or shape[1] * shape[2] > 4096 * 4096):
            bad("sample_shape", f"is {shape}: 1 or 3 channels and at most 4096x4096 pixels")
        kwargs = nets["G"].get("kwargs", {}) if isinstance(nets["G"], dict) else {}
        names = config.get("class_names", [])
        if not isinstance(names, list) or len(names) > 10_000 or not all(isinstance(n, str) for n in names):
            bad("class_names", "must be a list of at most 10,000 names")
        if isinstance(kwargs, dict) and int(kwargs.get("n_classes") or 0) != len(names):
            bad("class_names", f"names {len(names)} classes; the generator takes {kwargs.get('n_classes') or 0}")
        for field, v in (("channels", shape[0]), ("image_size", shape[-1]), ("z_dim", config["z_dim"])):
            if isinstance(kwargs, dict) and field in kwargs and kwargs[field] != v:
                bad("sample_shape" if field != "z_dim" else "z_dim",
                    f"disagrees with the generator's {field} {kwargs[field]}")
    else:
        bad("kind", f"is {kind!r}; expected 'translator' or 'sampler'")
    return config


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from None
    except Exception as e:
        raise CheckpointError(f"{path} cannot be read as safetensors ({e}); the checkpoint is damaged") from None


FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)
COUNTERS = ("num_batches_tracked",)  # BatchNorm's step counter: the one integer tensor a generator holds


def check_tensors(tensors: dict[str, torch.Tensor], where: Path | str) -> dict[str, torch.Tensor]:
    """Weights that would give silent wrong output are refused, naming the tensor: non-finite values (all-black
    images), and integer or bool storage where the nets hold floats (flat images)."""
    for name, t in tensors.items():
        if name.rsplit(".", 1)[-1] in COUNTERS:
            continue
        if t.dtype not in FLOAT_DTYPES:
            raise CheckpointError(f"{where}: tensor {name!r} is stored as {str(t.dtype).replace('torch.', '')}; "
                                  f"network weights are floating point: the file is damaged or not a translate "
                                  f"bundle")
        if not torch.isfinite(t).all():
            bad = int((~torch.isfinite(t)).sum())
            raise CheckpointError(f"{where}: tensor {name!r} holds {bad:,} NaN or infinite value(s); these weights "
                                  f"would give black or meaningless images (a diverged run: export an earlier state)")
    return tensors


def contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in tensors.items()}


# --------------------------------------------------------------------------------------- run state
def state_dir(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / STATE_DIR / f"step-{step:07d}"


def list_states(run_dir: Path) -> list[Path]:
    d = Path(run_dir) / STATE_DIR
    return sorted(p for p in d.glob("step-*") if p.is_dir()) if d.is_dir() else []


def latest_state(run_dir: Path) -> Path | None:
    states = list_states(run_dir)
    return states[-1] if states else None


def load_newest_state(run_dir: Path) -> tuple[Path, dict, dict, dict]:
    """(state folder, weights, optim tensors, state.json) of the newest state that reads back whole. A damaged
    newer one (a disk error, a copy cut short) is passed over with a warning that names it and says it is
    left in place, so a run resumes from its last good state instead of refusing."""
    import warnings

    states = list_states(run_dir)
    if not states:
        raise CheckpointError(f"{run_dir}: no saved state in {run_dir / STATE_DIR}")
    damaged = []
    for path in reversed(states):
        try:
            weights, optim, meta = load_state(path)
        except CheckpointError as e:
            damaged.append(f"{path.name} ({str(e).removeprefix(str(path) + '/')})")
            continue
        if damaged:
            warnings.warn(f"{run_dir}: newer state(s) damaged, left in place: {'; '.join(damaged)}; using "
                          f"{path.name}, the newest intact one", stacklevel=2)
        return path, weights, optim, meta
    raise CheckpointError(f"{run_dir}: every saved state is damaged: {'; '.join(damaged)}")


def load_state(path: Path) -> tuple[dict, dict, dict]:
    """(weights, optim tensors, state.json) of one saved state folder."""
    meta = read_json(path / "state.json")
    if meta.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path / 'state.json'}: unknown format {meta.get('format')!r}")
    return _load_tensors(path / "weights.safetensors"), _load_tensors(path / "optim.safetensors"), meta


# ------------------------------------------------------------------------------------------ bundles
def save_bundle(out: Path, model_name: str, export_config: dict, tensors: dict, info: dict) -> Path:
    config = {"format": BUNDLE_FORMAT, "model": model_name, **export_config, **info}
    with AtomicDir(Path(out)) as tmp:
        save_file(contiguous(tensors), str(tmp / "model.safetensors"), metadata={"format": BUNDLE_FORMAT})
        write_json(tmp / "config.json", config)
    return Path(out)


def load_checkpoint(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """(bundle config, generator tensors) from a bundle folder, a run folder or one of its state folders.

    A run folder gives its newest saved state (state/step-NNNNNNN gives that one), with the EMA weights
    when the run kept an EMA.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if (path / "state.json").is_file():  # one state of a run, e.g. to score a run as it goes
        weights, _, meta = load_state(path)
        return _from_state(path, weights, meta)
    if (path / "model.safetensors").is_file():
        config = read_json(path / "config.json")
        if config.get("format") != BUNDLE_FORMAT:
            raise CheckpointError(f"{path / 'config.json'}: unknown format {config.get('format')!r}")
        check_bundle_config(config, path / "config.json")
        tensors = check_tensors(_load_tensors(path / "model.safetensors"), path / "model.safetensors")
        # weights stored in half precision to keep bundles small compute in fp32
        return config, {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in tensors.items()}
    if latest_state(path) is None:
        raise CheckpointError(f"{path} is neither a bundle (config.json + model.safetensors) nor a run "
                              f"folder with saved states ({path / STATE_DIR}/step-*)")
    state, weights, _, meta = load_newest_state(path)
    return _from_state(state, weights, meta)


def _from_state(state: Path, weights: dict, meta: dict) -> tuple[dict, dict[str, torch.Tensor]]:
    bundle = meta.get("bundle")
    if bundle is None:
        raise CheckpointError(f"{state / 'state.json'} has no bundle description")
    if not isinstance(bundle, dict) or not isinstance(bundle.get("nets"), dict):
        raise CheckpointError(f"{state / 'state.json'}: field 'bundle' must describe the nets")
    prefix = "ema." if meta.get("has_ema") else ""
    tensors = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)} if prefix else weights
    wanted = tuple(f"{n}." for n in bundle["nets"])
    data_cfg = meta.get("config", {}).get("data", {})
    data = data_cfg.get("data")
    # the data set's name, never the path of the machine that trained it (bundles are shared)
    info = {"step": meta.get("step"), "ema": bool(meta.get("has_ema")),
            **({"train_data": Path(str(data)).name} if data else {}),
            **({"timing": meta["timing"]} if meta.get("timing") else {})}
    if bundle.get("kind") == "translator" and data_cfg.get("direction"):
        info["train_direction"] = data_cfg["direction"]  # which half of a pair was the input
    config = check_bundle_config({**info, **bundle}, state / "state.json")
    return config, check_tensors({k: v for k, v in tensors.items() if k.startswith(wanted)}, state)


def merge_directions(parts: list[tuple[dict, dict]], where: list[str]) -> tuple[dict, dict]:
    """One bundle from one-direction translators trained as separate runs (CUT and FastCUT learn one way):
    each part's generator becomes G_AB or G_BA by the direction it translates, so the demo and
    `convert --direction` use the result as they use a CycleGAN bundle."""
    names = dict(zip(DIRECTIONS, ("G_AB", "G_BA")))  # the two-way layout: a CycleGAN bundle's
    config: dict = {}
    tensors: dict = {}
    sources = []
    for (cfg, ts), path in zip(parts, where):
        if cfg.get("kind") != "translator" or len(cfg.get("directions", {})) != 1:
            raise CheckpointError(f"{path}: only one-direction translators merge (CUT, FastCUT, an imported "
                                  f"single generator); it has directions {sorted(cfg.get('directions', {}))}")
        (direction, net), = cfg["directions"].items()
        new = names[direction]
        if new in config.get("nets", {}):
            raise CheckpointError(f"{path}: a second {direction} generator; give one run per direction")
        if not config:
            config = {k: v for k, v in cfg.items() if k not in ("format", "directions", "nets", "train_direction",
                                                               "step", "timing", "ema")}
            config.update(nets={}, directions={})
        config["nets"][new] = cfg["nets"][net]
        config["directions"][direction] = new
        config["multiple"] = max(int(config.get("multiple", 4)), int(cfg.get("multiple", 4)))
        tensors.update({f"{new}.{k}": v for k, v in net_tensors(ts, net).items()})
        sources.append({"model": cfg.get("model"), "direction": direction, "step": cfg.get("step"),
                        "train_data": Path(str(cfg.get("train_data", ""))).name})
    config["sources"] = sources
    return config, tensors


def check_replaceable(out: Path, overwrite: bool) -> None:
    """A bundle may be written to `out` when it does not exist, or with `overwrite` when it is a bundle (or an
    empty folder): `overwrite` never deletes a folder of other files (a run, the current folder, a user's)."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return
    if not overwrite:
        raise CheckpointError(f"{out} already exists; pick another `out` or pass `overwrite` to replace it")
    if not out.is_dir() or out.is_symlink():
        raise CheckpointError(f"`out` {out} is not a folder; a bundle is a folder: pick another name")
    others = sorted(p.name for p in out.iterdir() if p.name not in ("config.json", "model.safetensors"))
    if others or (any(out.iterdir()) and not (out / "config.json").is_file()):
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise CheckpointError(f"`out` {out} is not a bundle (it holds {shown or 'other files'}); `overwrite` "
                              f"replaces only a bundle folder: pick another `out`")


def export_bundle(src: str | Path | list, out: str | Path, half: bool = False, overwrite: bool = False,
                  degrid: bool | None = None) -> dict:
    """Write the generators of a run or bundle folder as a stand-alone bundle (optionally fp16, which
    halves the size; the weights come back as fp32 on load). Several one-direction sources (a list) merge
    into one two-direction bundle (`merge_directions`). `degrid` sets whether inference takes the up-sampling
    grid out by default (None: as the source says). Returns {"bytes", "max_abs_rounding"}."""
    out = Path(out)
    check_replaceable(out, overwrite)
    sources = [src] if isinstance(src, (str, Path)) else list(src)
    if len(sources) == 1:
        config, tensors = load_checkpoint(sources[0])
    else:
        config, tensors = merge_directions([load_checkpoint(s) for s in sources], [str(s) for s in sources])
    model = config["model"]
    config = {k: v for k, v in config.items() if k not in ("format", "model")}
    if config.get("train_data"):  # a name, not this machine's path: `--data NAME --root DIR` finds it elsewhere
        config["train_data"] = Path(config["train_data"]).name
    if degrid is not None:  # whether the nets have a lattice to take out is checked by the caller
        config["degrid"] = degrid
    err = 0.0
    if half:
        for k, v in tensors.items():
            if v.is_floating_point():
                if v.abs().max() > torch.finfo(torch.float16).max:
                    raise CheckpointError(f"{src}: {k} holds values beyond the fp16 range; export without `half`")
                h = v.half()
                err = max(err, float((h.float() - v).abs().max()) if v.numel() else 0.0)
                tensors[k] = h
        config["stored_dtype"] = "float16"
    save_bundle(out, model, config, tensors, {})
    return {"bytes": (out / "model.safetensors").stat().st_size, "max_abs_rounding": err}


def checkpoint_config(path: str | Path) -> dict:
    """The bundle description of a bundle or run folder, without reading any weights (for model
    pickers that list what is installed)."""
    path = Path(path)
    if (path / "config.json").is_file() and (path / "model.safetensors").is_file():
        return check_bundle_config(read_json(path / "config.json"), path / "config.json")
    state = path if (path / "state.json").is_file() else latest_state(path) if path.is_dir() else None
    if state is None:
        raise CheckpointError(f"{path} is not a checkpoint folder")
    bundle = read_json(state / "state.json").get("bundle")
    if not isinstance(bundle, dict):
        raise CheckpointError(f"{state / 'state.json'}: field 'bundle' must describe the nets")
    return check_bundle_config(bundle, state / "state.json")


def load_into(module: torch.nn.Module, tensors: dict[str, torch.Tensor], where: Path | str) -> None:
    """load_state_dict(strict) with a message that names the file and the first mismatches."""
    own = module.state_dict()
    missing = [k for k in own if k not in tensors]
    unexpected = [k for k in tensors if k not in own]
    shapes = [f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(own[k].shape)}"
              for k in own if k in tensors and tensors[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        parts = []
        if shapes:
            parts.append("shape mismatch " + "; ".join(shapes[:3]))
        if missing:
            parts.append(f"missing {missing[:3]}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:3]}")
        raise CheckpointError(f"{where} does not fit this architecture ({', '.join(parts)}); was it made "
                              f"with other net options (width, size, classes)?")
    module.load_state_dict(tensors, strict=True)
