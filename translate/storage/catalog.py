"""Where named checkpoints live, and which one a name means.

Three sources hold checkpoint folders named by what they translate (`horse2zebra`, `facades`, ...):

  local      your own folders: `--checkpoints DIR` of a command, ./checkpoints, $TRANSLATE_CHECKPOINTS
  published  the authors' weights installed by `translate download-weights NAME`, in a per-user folder
             ($TRANSLATE_WEIGHTS, else $XDG_CACHE_HOME/translate/weights, else ~/.cache/translate/weights)
  bundled    the small CPU-trained models that ship in the source checkout's checkpoints/

The naming rule, used by `translate.load`, `translate convert --checkpoint`, `translate list` and the demo:
a path that exists is that folder; `NAME:local`, `NAME:published` or `NAME:bundled` is NAME from that source;
a bare `NAME` is the first installed in the order local, published, bundled. So a downloaded model takes
over its name from the bundled one, and the bundled one stays reachable as `NAME:bundled`.

Torch-free, so `translate list` and `--help` stay fast; a folder counts as installed when it holds a
config.json (a bundle) or a state/ folder (a training run).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from translate.config import default_load
from translate.errors import CheckpointError

SOURCES = ("local", "published", "bundled")  # the order a bare name is looked up in
BUNDLED = Path(__file__).resolve().parents[2] / "checkpoints"  # the checkout's checkpoints/


def weights_dir() -> Path:
    """The per-user folder `translate download-weights` installs into."""
    if os.environ.get("TRANSLATE_WEIGHTS"):
        return Path(os.environ["TRANSLATE_WEIGHTS"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "translate" / "weights"


def split_name(name: str) -> tuple[str, str | None]:
    """"horse2zebra:bundled" -> ("horse2zebra", "bundled"); a name without a known source -> (name, None)."""
    base, sep, source = str(name).rpartition(":")
    if sep and base and source in SOURCES:
        return base, source
    return str(name), None


@dataclass(frozen=True)
class Installed:
    name: str
    source: str  # one of SOURCES
    path: Path

    @property
    def qualified(self) -> str:
        return f"{self.name}:{self.source}"


def _is_checkpoint(folder: Path) -> bool:
    return folder.is_dir() and ((folder / "config.json").is_file() or (folder / "state").is_dir())


def _is_bundle(folder: Path) -> bool:
    """What the project ships: a bundle folder. A training run is a folder with states."""
    return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


class Catalog:
    """The checkpoint folders of each source. `extra`: the caller's own folders, searched first among the
    local ones; `weights` and `bundled` replace the per-user and shipped folders (tests, custom layouts;
    `bundled=None` leaves the shipped models out)."""

    def __init__(self, extra: list[str | Path] | None = None, weights: str | Path | None = None,
                 bundled: str | Path | None = BUNDLED):
        self.weights = Path(weights) if weights is not None else weights_dir()
        self.bundled = Path(bundled) if bundled is not None else None
        env = os.environ.get("TRANSLATE_CHECKPOINTS", "")
        local = [Path(p) for p in extra or []] + [Path("checkpoints")] + [Path(p) for p in env.split(os.pathsep) if p]
        # ./checkpoints in the source checkout IS the bundled folder: it counts once, as bundled (or not at all
        # when the bundled models are left out)
        taken = {self.weights.resolve(), BUNDLED.resolve()} | ({self.bundled.resolve()} if self.bundled else set())
        self.local: list[Path] = []
        for root in local:
            if root.resolve() not in taken:
                taken.add(root.resolve())
                self.local.append(root)

    def roots(self) -> list[tuple[str, Path]]:
        """(source, folder) in lookup order. The bundled folder appears twice: the runs a user trained inside
        the checkout (`translate train` writes checkpoints/run-NNN there) are theirs, only bundles are shipped."""
        inside = [("local", self.bundled)] if self.bundled else []
        return ([("local", r) for r in self.local] + inside + [("published", self.weights)]
                + ([("bundled", self.bundled)] if self.bundled else []))

    def installed(self, name: str | None = None, source: str | None = None) -> list[Installed]:
        """Every installed checkpoint (named `name`, from `source`), in lookup order."""
        found = []
        for src, root in self.roots():
            if source not in (None, src) or not root.is_dir():
                continue
            folders = [root / name] if name else sorted(root.iterdir())
            split = self.bundled is not None and root == self.bundled  # bundles there are shipped, runs theirs
            found += [Installed(f.name, src, f) for f in folders if not f.name.startswith(".") and _is_checkpoint(f)
                      and (not split or _is_bundle(f) == (src == "bundled"))]
        return found

    def find(self, name: str) -> Installed | None:
        """What a (possibly qualified) name means, or None when nothing of that name is installed."""
        base, source = split_name(name)
        hits = self.installed(base, source)
        return hits[0] if hits else None

    def resolve(self, path_or_name: str | Path) -> Path:
        """A checkpoint folder, or the folder a name means (see the module docstring)."""
        path = Path(path_or_name)
        if path.exists() or len(path.parts) > 1:
            return path
        hit = self.find(str(path_or_name))
        if hit is not None:
            return hit.path
        raise CheckpointError(self.not_found(str(path_or_name)))

    def not_found(self, name: str) -> str:
        from translate.registry import PRETRAINED

        base, source = split_name(name)
        known = sorted({i.name for i in self.installed()} | set(PRETRAINED.names()))
        close = difflib.get_close_matches(base, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close and close[0] != base else ""
        where = ", ".join(f"{r} ({s})" for s, r in self.roots() if source in (None, s))
        elsewhere = [i.qualified for i in self.installed(base)] if source else []
        fix = (f" Installed: {', '.join(elsewhere)}." if elsewhere else
               f" Install the published model with `translate download-weights {base}`." if base in PRETRAINED else
               " Pass a checkpoint folder; `translate list` shows the names installed and the published models "
               "`translate download-weights NAME` installs.")
        return f"no checkpoint {name!r}: not a folder, and not in {where}.{hint}{fix}"


def resolve_checkpoint(path_or_name: str | Path, extra_roots: list[str | Path] | None = None) -> Path:
    """A checkpoint folder, or a name resolved by the naming rule (module docstring)."""
    return Catalog(extra_roots).resolve(path_or_name)


# ------------------------------------------------------------------------------------ describing one
def model_title(config: dict) -> str:
    """"CycleGAN" for a bundle of model "cyclegan" (the registry's title)."""
    from translate.registry import MODELS

    model = str(config.get("model", "?"))
    return MODELS.info(model).get("title", model) if model in MODELS else model


def generator(config: dict) -> str:
    """"ResNet-6 ngf 32" from a bundle config (its first generator)."""
    nets = config.get("nets")
    spec = next(iter(nets.values()), {}) if isinstance(nets, dict) and nets else {}
    spec = spec if isinstance(spec, dict) else {}
    kw = spec.get("kwargs") if isinstance(spec.get("kwargs"), dict) else {}
    name = str(spec.get("name", "?"))
    if name == "resnet_g":
        name = f"ResNet-{kw.get('n_blocks', '?')}"
    elif name == "unet_g" and isinstance(kw.get("num_downs"), int):
        name = f"U-Net-{2 ** kw['num_downs']}"
    return name + (f" ngf {kw['ngf']}" if "ngf" in kw else "")


def _trained_on(config: dict) -> tuple[str, float | None]:
    """("CPU" or "GPU", hours of training) as the bundle's timing records them."""
    timing = config.get("timing") if isinstance(config.get("timing"), dict) else {}
    hardware = " ".join(map(str, timing.get("hardware") or []))
    kind = "GPU" if "GPU" in hardware or "cuda" in hardware.lower() else "CPU"
    seconds = timing.get("seconds")
    return kind, seconds / 3600 if isinstance(seconds, (int, float)) and seconds > 0 else None


def training_scale(config: dict) -> str:
    """"128 px, 12,000 steps, 11.1 CPU hours" from what the bundle records of its training ("128 px crops of
    286 px photos" where the crops were pieces of larger photos rather than whole ones)."""
    parts = []
    crop, frame = config.get("train_size"), config.get("train_frame")
    if crop and frame and frame > default_load(crop) + 1:  # not the usual load size of that crop
        parts.append(f"{crop} px crops of {frame} px photos")
    elif crop:
        parts.append(f"{crop} px")
    if isinstance(config.get("step"), int) and config["step"] > 0:
        parts.append(f"{config['step']:,} steps")
    kind, hours = _trained_on(config)
    if hours is not None:
        parts.append(f"{hours:.1f} {kind} hours")
    return ", ".join(parts)


def describe(config: dict, source: str) -> str:
    """One line naming a model for a person (the demo's status line, `translate list`):
    "published CycleGAN weights (Zhu et al. 2017), ResNet-9 ngf 64, 256 px" or
    "bundled CPU model, CycleGAN ResNet-6 ngf 32, 128 px, 12,000 steps, 11.1 CPU hours"."""
    published = config.get("published") if isinstance(config.get("published"), dict) else None
    if source == "published" or published:
        paper = (published or {}).get("paper")
        size = f", {config['train_size']} px" if config.get("train_size") else ""
        return f"published {model_title(config)} weights" + (f" ({paper})" if paper else "") + \
            f", {generator(config)}{size}"
    scale = training_scale(config)
    who = {"bundled": f"bundled {_trained_on(config)[0]} model", "local": "your checkpoint"}.get(source, source)
    return f"{who}, {model_title(config)} {generator(config)}" + (f", {scale}" if scale else "")
