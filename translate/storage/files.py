"""Guards around files a command reads or writes: a file named by a user or a bundle is read only when it is
a regular file of bounded size (a symlink to /dev/zero or a FIFO would read forever or hang), and an output
may never be, hold or lie inside what the command reads. Torch-free."""

from __future__ import annotations

import stat
from pathlib import Path

from translate.errors import OptionError


def read_bounded(path: str | Path, limit: int, error=OptionError, what: str = "file") -> bytes:
    """The bytes of `path`, refused with `error` (one line naming it) unless it is a regular file (after
    symlinks) of at most `limit` bytes. The size is checked again while reading: a file that grows is cut."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{path} is missing") from None
    except OSError as e:
        raise error(f"{path} cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path} is not a regular file (a device, FIFO, socket or folder); a {what} must be a file")
    if info.st_size > limit:
        raise error(f"{path} is {info.st_size:,} bytes, over the {limit:,} a {what} may have")
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise error(f"{path} grew past the {limit:,} bytes a {what} may have while it was read")
    return data


def refuse_overlap(out: str | Path, sources: list[str | Path], field: str = "out") -> None:
    """An output must neither be, hold nor lie inside what a command reads: writing it (or replacing it with
    `overwrite`) would destroy the source. Raises before any work, naming both paths."""
    from translate.errors import OptionError

    target = Path(out).resolve()
    for source in sources:
        src = Path(source).resolve()
        if target == src:
            how = "is"
        elif src.is_relative_to(target):
            how = "holds"
        elif target.is_relative_to(src):
            how = "lies inside"
        else:
            continue
        raise OptionError(f"`{field}` {out} {how} the source {source}; writing there would destroy what is being "
                          f"read: choose a `{field}` outside it")


def printable(path) -> str:
    """A file name as one printable line whatever it holds: undecodable bytes (surrogate escapes), newlines
    and tabs are written as backslash escapes, so a listing can always be printed and read back by eye."""
    text = str(path)
    try:  # a file name's undecodable byte 0xe9 came in as a surrogate escape: show it as \xe9
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # other lone surrogates
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (hashlib.file_digest needs Python 3.11)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
