"""Install the authors' published generators (`translate download-weights NAME`, the demo's button).

The install lands in the per-user weights folder (translate/storage/catalog.py: `weights_dir()`), never in the
bundled checkpoints/, so the bundled model of the same data set stays as it shipped and reachable as
`NAME:bundled`. Every install is checked before it is moved into place: the transfer's size against the
server's Content-Length (and a SHA-256 when one is known or given), the state dict against the official
architecture (strict load), and one small test image through the generator, whose output must be finite.
A failed check leaves nothing installed; an interrupted transfer leaves a `.part` file that the next try
resumes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from translate.data import download as dl
from translate.errors import CheckpointError, DownloadError
from translate.registry import MODELS, PRETRAINED
from translate.storage.catalog import BUNDLED, weights_dir


def default_out(name: str) -> Path:
    return weights_dir() / name


def installed(name: str, out: str | Path | None = None) -> bool:
    """Whether `out` holds these published weights (its config says which published model it is)."""
    import json

    out = Path(out) if out else default_out(name)
    if not ((out / "model.safetensors").is_file() and (out / "config.json").is_file()):
        return False
    try:
        published = json.loads((out / "config.json").read_text()).get("published")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(published, dict) and published.get("name") == name


def by_hand(name: str, out: Path) -> str:
    """How to place the weights without this machine downloading them."""
    url, model = dl.weights_url(name)
    info = PRETRAINED.info(name)
    inside = f" and take {info['member']} out of it" if info.get("member") else ""
    return (f"To place them by hand: fetch {url} on a machine that can{inside}, then run: translate "
            f"import-official FILE.pth --model {model} --direction {info.get('direction', 'AtoB')} --out {out}")


def _refuse_bundled(out: Path) -> None:
    if BUNDLED.is_dir() and out.resolve().is_relative_to(BUNDLED.resolve()):
        raise DownloadError(f"{out} is inside {BUNDLED}, where the bundled models live; published weights "
                            f"install elsewhere (leave out `out` for {weights_dir()}, or pick another folder)")


def check_translates(path: Path) -> None:
    """Run a 64x64 test image through every direction of the bundle at `path`; refuse non-finite output."""
    import torch

    import translate
    from translate.storage.checkpoint import checkpoint_config

    x = torch.linspace(-1, 1, 64 * 64 * 3).reshape(1, 3, 64, 64)
    for direction in checkpoint_config(path).get("directions", {}):
        translator = translate.load(path, direction=direction, device="cpu", precision="fp32")
        with torch.no_grad():
            y = translator.translate_tensor(x[:, : translator.in_channels])
        if not torch.isfinite(y).all():
            raise CheckpointError(f"{path}: the {direction} generator gives non-finite output on a test image; "
                                  f"the weights are damaged")


def install_published(name: str, out: str | Path | None = None, sha256: str | None = None,
                      overwrite: bool = False, quiet: bool = False, progress: dl.Progress | None = None) -> Path:
    """Download, convert and check the published generator `name` into `out` (default: the per-user
    weights folder). An installed model is kept unless `overwrite`; any other existing `out` is refused."""
    url, model = dl.weights_url(name)  # an unknown name fails before anything is written
    info = PRETRAINED.info(name)
    out = Path(out) if out else default_out(name)
    _refuse_bundled(out)
    if installed(name, out) and not overwrite:
        return out
    if out.exists() and not overwrite:  # checked before the download, not after it
        raise DownloadError(f"{out} already exists and is not these weights; pick another `out` or pass "
                            f"`overwrite` to replace it")
    downloads = out.parent / ".downloads"
    try:
        pth = dl.weights_file(name, downloads, sha256, quiet=quiet, progress=progress)
    except DownloadError as e:
        with contextlib.suppress(OSError):  # an empty downloads folder is no use; a partial file stays, to resume
            downloads.rmdir()
        raise DownloadError(f"could not download the {name} weights: {e}. {by_hand(name, out)}") from None
    from translate.interop.official import import_official

    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent)) / out.name
    published = {"name": name, "url": url, "paper": MODELS.info(model)["paper"]}
    try:
        try:
            import_official([pth], model, staging, direction=info.get("direction", "AtoB"), published=published)
            check_translates(staging)
        except CheckpointError as e:  # a file that arrived whole but is not what the name promises
            pth.unlink(missing_ok=True)
            raise DownloadError(f"the downloaded {name} weights did not pass their check ({e}); the file was "
                                f"deleted, run the command again. {by_hand(name, out)}") from None
        if out.exists():  # overwrite: the old install goes only once the new one is complete
            old = staging.parent / f"{out.name}.old"
            os.replace(out, old)
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging.parent, ignore_errors=True)
    pth.unlink(missing_ok=True)  # the bundle holds the weights now; an archive of several models stays
    with contextlib.suppress(OSError):
        downloads.rmdir()
    return out
