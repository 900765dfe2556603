"""Downloads of the official CycleGAN / pix2pix data sets and pretrained generators.

Every transfer: a progress bar, resume of a partial `.part` file with an HTTP Range request, a size
check against Content-Length, a SHA-256 check where the catalog knows one (the official servers
publish none, so for now only sizes are checked unless you pass --sha256), and an atomic rename.
Archives are extracted into a temporary folder next to the target, checked, then renamed into place,
so an interrupted run never leaves a half data set that looks complete. Every failure is one message
that says what failed and how to place the files by hand.

The servers can be replaced with a mirror: TRANSLATE_MIRROR=https://my.mirror/path replaces
http://efrosgans.eecs.berkeley.edu in every URL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from translate.errors import DataError, DownloadError
from translate.registry import DATASETS, PRETRAINED, unknown_name_message

OFFICIAL_HOST = "http://efrosgans.eecs.berkeley.edu"
# Known SHA-256 sums (name -> hex). Empty: the official servers publish none, and none could be
# fetched here to compute them; add them as they become known.
SHA256: dict[str, str] = {}
Progress = Callable[[int, "int | None"], None]


def _host() -> str:
    return os.environ.get("TRANSLATE_MIRROR", OFFICIAL_HOST).rstrip("/")


def official_datasets() -> list[str]:
    """The data sets `translate download` fetches (registry entries with an archive)."""
    return [n for n in DATASETS.names() if "archive" in DATASETS.info(n)]


def dataset_url(name: str) -> str:
    info = DATASETS.info(name) if name in DATASETS else {}
    if "archive" not in info:
        raise DownloadError(f"no official data set called {name!r}; known: {', '.join(official_datasets())}")
    return f"{_host()}/{info['archive'].format(name=name)}"


def weights_url(name: str) -> tuple[str, str]:
    """(url, model) for `translate download-weights NAME`."""
    if name not in PRETRAINED:
        raise DownloadError(unknown_name_message("published model", name, PRETRAINED.names()))
    info = PRETRAINED.info(name)
    return f"{_host()}/{info['url']}", info["model"]


def weights_file(name: str, downloads: Path, sha256: str | None = None, quiet: bool = False,
                 progress: Progress | None = None) -> Path:
    """The generator .pth of official weights `name`, downloaded into `downloads` (when the publisher ships
    an archive of several models, its one member is taken out of it: only that file, by exact name)."""
    url, _ = weights_url(name)
    member = PRETRAINED.info(name).get("member")
    if not member:
        return fetch(url, downloads / f"{name}.pth", sha256 or SHA256.get(name), quiet=quiet, progress=progress)
    archive = fetch(url, downloads / url.rsplit("/", 1)[-1], sha256, quiet=quiet, progress=progress)
    out = downloads / f"{name}.pth"
    try:
        with tarfile.open(archive) as t:
            f = t.extractfile(t.getmember(member))
            if f is None:
                raise KeyError(member)
            data = f.read()
    except (KeyError, tarfile.TarError, OSError) as e:
        raise DownloadError(f"{archive}: no readable member {member!r} ({e}); delete it and download again") \
            from None
    from translate.storage.atomic import atomic_write_bytes

    atomic_write_bytes(out, data)
    return out


# ------------------------------------------------------------------------------------------ transfer
def fetch(url: str, dest: Path, sha256: str | None = None, quiet: bool = False, timeout: float = 30,
          progress: Progress | None = None) -> Path:
    """Download `url` to `dest` (resuming `dest.part`), check size and checksum, rename into place.
    `progress(bytes so far, total or None)` is called as chunks arrive (the demo's progress bar)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the part file is already complete
            resp = None
        else:
            raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"{url}: cannot connect ({reason})") from None
    if resp is not None and not quiet:  # said only once the server answers: offline, the error is the one line
        print(f"downloading {url} -> {dest}", file=sys.stderr, flush=True)
    if resp is not None:
        with resp:
            resumed = resp.status == 206
            if not resumed:
                have = 0
            length = resp.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            _stream(resp, part, "ab" if resumed else "wb", have, total, dest.name, quiet, progress)
        got = part.stat().st_size
        if total is not None and got != total:
            raise DownloadError(f"{url}: transfer ended early ({got:,} of {total:,} bytes); run the command again "
                                f"to resume from {part}")
    if sha256:
        digest = _sha256(part)
        if digest != sha256.lower():
            part.unlink()
            raise DownloadError(f"{url}: checksum mismatch (sha256 {digest}, expected {sha256}); the corrupt "
                                f"download was deleted, run the command again")
    os.replace(part, dest)
    return dest


def _stream(resp, part: Path, mode: str, have: int, total: int | None, label: str, quiet: bool,
            progress: Progress | None = None) -> None:
    bar = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=label, file=sys.stderr,
                   disable=None)
    try:
        with open(part, mode) as f:
            while True:
                try:
                    chunk = resp.read(1 << 20)
                except (OSError, ValueError) as e:  # connection dropped: keep what arrived for a resume
                    raise DownloadError(f"{label}: connection lost ({e}); run the command again to resume") from None
                if not chunk:
                    break
                f.write(chunk)
                have += len(chunk)
                if progress is not None:
                    progress(have, total)
                if bar is not None:
                    bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()


def _sha256(path: Path) -> str:
    from translate.storage.files import sha256_of

    return sha256_of(path)


# ------------------------------------------------------------------------------------------ archives
def extract(archive: Path, root: Path, name: str) -> Path:
    """Unpack `archive` (zip or tar.gz holding a top folder `name/`, or loose files) into root/name via a
    temporary folder; refuses members that would land outside it."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        try:
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as z:
                    for m in z.namelist():
                        _check_member(tmp, m, archive)
                    z.extractall(tmp)
            else:
                with tarfile.open(archive) as t:
                    t.extractall(tmp, filter="data")  # the data filter refuses links and paths outside tmp
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as e:
            raise DownloadError(f"{archive}: not a readable archive ({e}); delete it and download again") from None
        inner = tmp / name
        content = inner if inner.is_dir() else tmp
        if not any(content.iterdir()):
            raise DownloadError(f"{archive} is empty")
        if target.exists():
            raise DownloadError(f"{target} appeared while extracting; remove it or pick another `root`")
        os.replace(content, target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_member(base: Path, member: str, archive: Path) -> None:
    dest = (base / member).resolve()
    if not dest.is_relative_to(base.resolve()):
        raise DownloadError(f"{archive}: member {member!r} would be written outside the target; refusing")


# --------------------------------------------------------------------------------------- data sets
def download_dataset(name: str, root: Path, url: str | None = None, sha256: str | None = None,
                     quiet: bool = False) -> Path:
    root = Path(root)
    target = root / name
    if target.is_dir() and any(target.iterdir()):
        return target
    url = url or dataset_url(name)
    downloads = root / ".downloads"
    archive = downloads / url.rsplit("/", 1)[-1]
    made = [d for d in (root, downloads) if not d.exists()]
    try:
        fetch(url, archive, sha256 or SHA256.get(name), quiet=quiet)
        out = extract(archive, root, name)
    except DownloadError as e:
        for d in reversed(made):  # folders this call created and left empty (a partial .part stays, to resume)
            with contextlib.suppress(OSError):
                d.rmdir()
        raise DownloadError(f"could not download {name} ({e}). {_by_hand(name, root, url)}") from None
    archive.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        downloads.rmdir()
    return out


def _by_hand(name: str, root: Path, url: str) -> str:
    layout = ("train/*.jpg, the A|B pairs side by side" if url.endswith(".tar.gz")
              else "trainA/, trainB/, testA/, testB/")
    return (f"Place it by hand: fetch {url} on a machine that can, and unpack it to {root / name}/ ({layout}); "
            f"or pass `data` PATH, any folder in a layout datasets/README.md describes")


def resolve_dataset(name: str, root: Path) -> Path:
    """A path, a folder under `root`, or an official name (downloaded into `root` when missing)."""
    for cand in (Path(name), Path(root) / name):
        if cand.is_dir():
            return cand
    if name in official_datasets():
        return download_dataset(name, Path(root))
    raise DataError(f"data {name!r} is neither a folder (looked for {Path(name)} and {Path(root) / name}) nor "
                     f"an official data set name (e.g. horse2zebra, facades; `translate list` shows them)")
