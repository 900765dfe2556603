"""What `translate convert` keeps beside its outputs: the list of files that failed (convert-errors.txt) and
the journal of an in-place conversion (-i D -o D --overwrite-inputs): which files in D are already
translations, so that a re-run, or the resume of an interrupted run, never translates a translation again.
One journal line per written file, "sha256<TAB>relative path", appended as each file lands."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from translate.errors import ConvertError
from translate.storage.files import printable

JOURNAL = ".translate-converted.tsv"
ERRORS_FILE = "convert-errors.txt"


def digest(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    from translate.storage.files import sha256_of

    return sha256_of(path)


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


def write_errors(plan, report) -> None:
    """The list of failures in the output folder (a stale one removed when nothing failed)."""
    path = plan.out_root / ERRORS_FILE
    if not report.failed:
        path.unlink(missing_ok=True)  # a stale list from an earlier run no longer applies
        return
    from translate.storage.atomic import atomic_write_text

    lines = [f"{printable(src)}\t{printable(reason)}" for src, reason in sorted(report.failed, key=lambda t: str(t[0]))]
    try:
        atomic_write_text(path, "# file\treason (fix or remove these files, then re-run; converted files are "
                          "skipped)\n" + "\n".join(lines) + "\n")
    except OSError as e:  # a full or read-only disk: the summary names the first failures instead
        first = "; ".join(f"{printable(src)}: {printable(reason)}" for src, reason in report.failed[:2])
        raise ConvertError(f"{len(report.failed):,} file(s) failed ({first}{'; ...' if len(lines) > 2 else ''}), "
                           f"and the list of failures could not be written to {printable(path)} "
                           f"({e.strerror or e}): free space there, or choose another `output`") from None
    report.errors_file = path
