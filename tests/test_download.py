"""Download code against a local HTTP server on 127.0.0.1: a good zip, a transfer cut short (then
resumed with a Range request), a wrong checksum, a server that is down, and the automatic download
that `--data NAME` triggers through TRANSLATE_MIRROR."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from conftest import FileServer

from translate.data import download as dl


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for d in ("trainA", "trainB", "testA", "testB"):
            z.writestr(f"tiny/{d}/0.txt", f"{d} " * 4000)  # content does not matter to the downloader
    return buf.getvalue()


PAYLOAD = _zip_bytes()


@pytest.fixture
def server():
    s = FileServer(PAYLOAD)
    yield s
    s.close()


def test_fetch_checks_size_resumes_and_verifies_checksum(server, tmp_path):
    dest = tmp_path / "tiny.zip"
    server.cut = 1000
    with pytest.raises(dl.DownloadError, match="transfer ended early .*1,000 of"):
        dl.fetch(f"{server.url}/tiny.zip", dest, quiet=True)
    part = tmp_path / "tiny.zip.part"
    assert not dest.exists() and part.stat().st_size == 1000
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    dl.fetch(f"{server.url}/tiny.zip", dest, sha256=sha, quiet=True)  # resumes from byte 1000
    assert server.ranges[-1] == "bytes=1000-"
    assert dest.read_bytes() == PAYLOAD and not part.exists()

    with pytest.raises(dl.DownloadError, match="checksum mismatch"):
        dl.fetch(f"{server.url}/tiny.zip", tmp_path / "other.zip", sha256="0" * 64, quiet=True)
    assert not (tmp_path / "other.zip").exists() and not (tmp_path / "other.zip.part").exists()


def test_download_dataset_extracts_atomically(server, tmp_path):
    out = dl.download_dataset("tiny", tmp_path / "datasets", url=f"{server.url}/tiny.zip", quiet=True)
    assert sorted(p.name for p in out.iterdir()) == ["testA", "testB", "trainA", "trainB"]
    assert [p.name for p in (tmp_path / "datasets").iterdir() if p.name.startswith(".tiny")] == []
    assert not (tmp_path / "datasets" / ".downloads" / "tiny.zip").exists()


def test_offline_first_run_is_one_line_and_leaves_no_folders(tmp_path, monkeypatch, capsys):
    """`translate train --model cyclegan --data horse2zebra` without internet: one line that says the download
    failed, where the files go by hand and that --data takes a folder; no empty datasets/.downloads behind."""
    from translate.cli import main

    monkeypatch.setenv("TRANSLATE_MIRROR", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--model", "cyclegan", "--data", "horse2zebra", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("translate train: could not download horse2zebra") and "cannot connect" in err
    assert "unpack it to datasets/horse2zebra/ (trainA/, trainB/, testA/, testB/)" in err
    assert "--data PATH" in err and "datasets/README.md" in err
    assert list(tmp_path.iterdir()) == []  # neither datasets/ nor datasets/.downloads was left behind


def test_train_data_name_downloads_through_the_mirror(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSLATE_MIRROR", server.url)
    assert dl.dataset_url("apple2orange") == f"{server.url}/cyclegan/datasets/apple2orange.zip"
    assert dl.weights_url("pix2pix_facades_label2photo") == (
        f"{server.url}/pix2pix/models-pytorch/facades_label2photo.pth", "pix2pix")
    # the served zip's top folder is "tiny"; extraction falls back to the archive's loose contents
    out = dl.resolve_dataset("apple2orange", tmp_path / "datasets")
    assert out == tmp_path / "datasets" / "apple2orange" and (out / "tiny" / "trainA").is_dir()
    assert dl.resolve_dataset("apple2orange", tmp_path / "datasets") == out  # present: no second download
    assert len(server.ranges) == 1


def test_corrupt_archive_is_refused(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(dl.DownloadError, match="not a readable archive"):
        dl.extract(bad, tmp_path / "root", "bad")
    assert not (tmp_path / "root" / "bad").exists()
