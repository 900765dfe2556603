"""The journal of an in-place conversion (`translate convert -i D -o D --overwrite-inputs`): which files in D
are already translations, so that a re-run, or the resume of an interrupted run, never translates a
translation again. One line per written file, "sha256<TAB>relative path", appended as each file lands."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

JOURNAL = ".translate-converted.tsv"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Journal:
    def __init__(self, root: Path):
        self.root, self.path = Path(root), Path(root) / JOURNAL
        self.written: dict[str, str] = {}  # relative path -> digest of the translation written there
        if self.path.is_file():
            for line in self.path.read_text(errors="replace").splitlines():
                sha, _, rel = line.partition("\t")
                if len(sha) == 64 and rel:
                    self.written[rel] = sha

    def _rel(self, path: Path) -> str:
        return os.path.relpath(Path(path).resolve(), self.root.resolve())

    def is_translation(self, path: Path) -> bool:
        """Whether `path` still holds the very bytes this converter wrote there."""
        sha = self.written.get(self._rel(path))
        return sha is not None and path.is_file() and file_digest(path) == sha

    def record(self, path: Path, sha: str) -> None:
        rel = self._rel(path)
        self.written[rel] = sha
        with open(self.path, "a") as f:  # appended and synced per file: a kill loses at most the last one
            f.write(f"{sha}\t{rel}\n")
            f.flush()
            os.fsync(f.fileno())
