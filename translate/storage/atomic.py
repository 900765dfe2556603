"""Atomic file and folder writes: a temporary file (folder) beside the target, fsync, rename. Readers see the
old one or the new one, never half of one. Torch-free, so every command can use it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes | memoryview) -> None:
    """Write to a temporary file beside `path`, fsync, then rename: readers see the old or the new file,
    never half of one. Permissions follow the umask like an ordinary write (mkstemp would leave 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


class AtomicDir:
    """Write a folder under a temporary name in the same parent, then rename it into place."""

    def __init__(self, final: Path):
        self.final = Path(os.path.abspath(final))  # "." has no name to put a temporary one beside
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        os.chmod(self.tmp, 0o777 & ~_umask())

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        for f in self.tmp.iterdir():  # some writers (safetensors) create 0600 files; give the usual mode
            if f.is_file():
                os.chmod(f, 0o666 & ~_umask())
        if self.final.exists():  # replacing: move the old one aside first, delete it after the swap
            old = self.final.with_name(f".{self.final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.final, old)
            os.replace(self.tmp, self.final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.tmp, self.final)
        return False
