"""Hostile files, crafted checkpoints and faults (issue 25): each gives one line naming the file and the
fix, no traceback reaches the user, and nothing outside the named output changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_fails

from translate.cli import main

TINY_GAN = ["--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- 1, 6: nothing replaced
def test_train_never_writes_into_a_folder_of_the_users(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    cli_fails(["train", *TINY_GAN, "--steps", "1", "--out", str(mine)], "is not empty")
    assert snapshot(mine) == {"notes.txt": b"keep me"}


def test_a_failed_start_gives_its_run_folder_back(tmp_path):
    out = tmp_path / "run"
    cli_fails(["train", "--model", "dcgan", "--data", str(tmp_path / "no-such-folder"), "--out", str(out)],
              "neither")
    assert not out.exists()  # the same command, corrected, can use the same --out
    assert main(["train", *TINY_GAN, "--steps", "1", "--out", str(out)]) == 0


def test_two_trainers_into_the_same_out_one_refuses(tmp_path):
    """Started together: the folder is claimed atomically, so exactly one trains and the other says why."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "translate", "train", *TINY_GAN, "--steps", "30", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refusal = next(err for code, err in results if code == 2)
    assert "Traceback" not in refusal and any(
        why in refusal for why in ("claimed by another trainer", "is not empty", "already holds a run")), refusal
    rows = (out / "losses.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, 31))  # one run's rows, not two interleaved


def test_numbered_runs_take_the_next_free_number(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints" / "run-001-gan-ring8").mkdir(parents=True)
    (tmp_path / "checkpoints" / "run-001-gan-ring8" / "notes.txt").write_text("x")
    assert main(["train", *TINY_GAN, "--steps", "1"]) == 0
    assert (tmp_path / "checkpoints" / "run-002-gan-ring8" / "bundle").is_dir()
    assert json.loads((tmp_path / "checkpoints" / "run-002-gan-ring8" / "config.json").read_text())


# --------------------------------------------------------------------------- 2, 4, 7: convert
def _photo(path: Path, size=(40, 32), colour=(120, 90, 60)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def test_convert_reports_every_odd_file_and_always_ends_with_its_summary(tmp_path, capsys):
    from PIL import Image

    inp, out = tmp_path / "in", tmp_path / "out"
    _photo(inp / "ok.png")
    _photo(inp / "tiny.png", (1, 1))
    _photo(inp / "thin.png", (1, 300))
    _photo(inp / "line\nbreak.png")  # a newline in a name must not split its line in the errors file
    bad = os.fsencode(inp) + b"/caf\xe9.png"  # not UTF-8: a Latin-1 name
    with open(bad, "wb") as f:
        f.write(b"not an image at all")
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(inp / "anim.gif", save_all=True, append_images=frames[1:])
    _photo(inp / "still.gif")
    (inp / "notes.md").write_text("left alone")
    big = Image.new("1", (12000, 11000))
    big.save(inp / "bomb.png")
    code = main(["convert", "-c", "horse2zebra", "-i", str(inp), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    summary = captured.err.strip().splitlines()[-1]
    assert summary.startswith("5 converted, 1 other file(s) left alone") and "3 failed: see" in summary, summary
    assert "(not png/jpg/jpeg/webp/bmp/tif/tiff/ppm/gif/mp4/mov/mkv/webm/avi)" in summary
    assert {p.name for p in out.iterdir()} >= {"ok.png", "tiny.png", "thin.png", "line\nbreak.png", "still.gif"}
    assert Image.open(out / "tiny.png").size == (1, 1) and Image.open(out / "thin.png").size == (1, 300)
    lines = (out / "convert-errors.txt").read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) == 3 and all(line.count("\t") == 1 for line in lines), lines
    reasons = dict(line.split("\t") for line in lines)
    assert reasons[f"{inp}/anim.gif"].startswith("animated (2 frames)")
    assert "132 megapixels, over the budget of 120; shrink it first or raise --max-pixels" in reasons[f"{inp}/bomb.png"]
    assert f"{inp}/caf\\xe9.png" in reasons
    assert not (out / "notes.md").exists()


def test_convert_refuses_an_unwritable_output_before_reading_any_image(tmp_path, monkeypatch):
    inp = _photo(tmp_path / "in" / "a.png").parent
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # OUTPUT below a file: no one, root included, can create it
    read = []
    import translate.inference.convert as convert

    monkeypatch.setattr(convert, "_decode", lambda *a, **k: read.append(a) or None)
    cli_fails(["convert", "-c", "horse2zebra", "-i", str(inp), "-o", str(blocker / "out")], "cannot be written")
    assert read == []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # a read-only folder, where the user is not root
            cli_fails(["convert", "-c", "horse2zebra", "-i", str(inp), "-o", str(locked / "out")],
                      "cannot be written")
    finally:
        locked.chmod(0o700)


def test_a_binary_file_is_not_read_as_a_list_of_images(tmp_path):
    blob = tmp_path / "clip.bin"
    blob.write_bytes(b"\x00\x00\x00\x18ftypqt  " + bytes(range(256)))
    cli_fails(["convert", "-c", "horse2zebra", "-i", str(blob), "-o", str(tmp_path / "out")],
              "neither an image or video this converter reads")


def test_the_cli_pixel_budget_is_the_library_one():
    from translate.cli.convert import _parser
    from translate.data.folders import MAX_PIXELS

    assert _parser().get_default("max_pixels") == MAX_PIXELS


# ------------------------------------------------------------------------------- 3: training data
def test_a_truncated_jpeg_is_named_once_and_training_goes_on(tmp_path, recwarn):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for side in ("trainA", "trainB"):
        (tmp_path / "d" / side).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (36, 36, 3), dtype=np.uint8)).save(tmp_path / "d" / side / f"{i}.png")
    whole = tmp_path / "whole.jpg"
    Image.fromarray(rng.integers(0, 255, (36, 36, 3), dtype=np.uint8)).save(whole, quality=90)
    broken = tmp_path / "d" / "trainA" / "broken.jpg"
    broken.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert main(["train", "--model", "cyclegan", "--data", str(tmp_path / "d"), "--size", "32", "--ngf", "4",
                 "--ndf", "4", "--netG", "resnet_6blocks", "--steps", "8", "--out", str(tmp_path / "run")]) == 0
    named = [str(w.message) for w in recwarn if "broken.jpg" in str(w.message)]
    assert len(named) == 1 and "truncated" in named[0], named


# ------------------------------------------------------------------------------ 5: crafted configs
def _crafted(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the bundled horse2zebra whose config.json `edit` changes (or replaces, when it returns text)."""
    from translate.storage.catalog import BUNDLED

    folder = tmp_path / name / "horse2zebra"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes((BUNDLED / "horse2zebra" / "model.safetensors").read_bytes())
    config = json.loads((BUNDLED / "horse2zebra" / "config.json").read_text())
    text = edit(config)
    (folder / "config.json").write_text(text if isinstance(text, str) else json.dumps(config))
    return folder


CRAFTED = {
    "unknown net": (lambda c: c["nets"]["G_AB"].update(name="evil_g"), "unknown net 'evil_g'"),
    "unexpected keyword": (lambda c: c["nets"]["G_AB"]["kwargs"].update(payload=1), "takes no argument 'payload'"),
    "wrong direction key": (lambda c: c.update(directions={"AtoC": "G_AB"}), "only AtoB and BtoA exist"),
    "missing net": (lambda c: c.update(directions={"AtoB": "G_XY"}), "which is not in 'nets'"),
    "string for a number": (lambda c: c["nets"]["G_AB"]["kwargs"].update(ngf="32"), "cannot be built"),
    "huge width": (lambda c: c["nets"]["G_AB"]["kwargs"].update(ngf=100000), "outside [-1, 16384]"),
    "huge depth": (lambda c: c["nets"]["G_AB"]["kwargs"].update(n_blocks=1e9), "outside [-1, 64]"),
    "many parameters": (lambda c: c["nets"]["G_AB"]["kwargs"].update(ngf=4096), "parameters (at most"),
    "deep nesting": (lambda c: '{"a": ' * 5000 + "1" + "}" * 5000, "nests deeper"),
    "not an object": (lambda c: "[1, 2]", "not an object"),
    "text for the work scale": (lambda c: c.update(train_frame="big"), "field 'train_frame' must be an integer"),
}


@pytest.mark.parametrize("case", CRAFTED, ids=str)
def test_a_crafted_config_is_one_line_naming_file_and_field(case, tmp_path):
    edit, message = CRAFTED[case]
    folder = _crafted(tmp_path, "zoo", edit)
    photo = _photo(tmp_path / "in" / "a.png")
    text = cli_fails(["convert", "-c", str(folder), "-i", str(photo), "-o", str(tmp_path / "out.png")],
                     re.escape(message))
    assert str(folder / "config.json") in text or str(folder) in text
    assert len(text.strip().splitlines()) == 1 and not (tmp_path / "out.png").exists()


def test_the_demo_starts_beside_a_broken_bundle_and_says_why(tmp_path):
    gr = pytest.importorskip("gradio")
    from PIL import Image

    from translate.demo import app

    folder = _crafted(tmp_path, "zoo", CRAFTED["deep nesting"][0])
    zoo = app.ModelZoo([folder.parent], bundled=None)  # only the crafted one, not the bundled horse2zebra
    demo = app.build_demo(zoo, 512)  # starts
    assert demo is not None
    with pytest.raises(gr.Error, match="The installed horse2zebra cannot be used: .*nests deeper"):
        app.translate_image(zoo, "Object transfiguration", "horse → zebra", Image.new("RGB", (16, 16)))


# ------------------------------------------------------------------------- 9, 10: states and .pth
def test_a_damaged_newest_state_resumes_from_the_newest_intact_one(tmp_path, capsys):
    from translate.storage.checkpoint import list_states

    run = tmp_path / "run"
    assert main(["train", *TINY_GAN, "--steps", "4", "--checkpoint-every", "2", "--out", str(run)]) == 0
    newest = list_states(run)[-1]
    assert newest.name == "step-0000004"
    (newest / "weights.safetensors").write_bytes(b"\x00" * 10)  # a copy cut short
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "6"]) == 0
    err = capsys.readouterr().err
    assert "step-0000004 (weights.safetensors" in err and "using step-0000002, the newest intact one" in err
    assert f"resuming {run} from step 2" in err
    assert json.loads((run / "bundle" / "config.json").read_text())["step"] == 6


class Payload:
    """Stands for any object a pickle can carry (and whose loading could run code)."""


def test_a_pth_with_python_objects_is_refused_without_suggesting_the_unsafe_path(tmp_path):
    import torch

    path = tmp_path / "latest_net_G.pth"
    torch.save({"model": Payload()}, path)  # unpickling it would import and build an arbitrary class
    text = cli_fails(["import-official", str(path), "--model", "cyclegan", "--out", str(tmp_path / "out")],
                     "holds Python objects besides tensors; it is not loaded, because unpickling them could run code")
    assert "weights_only=False" not in text and not (tmp_path / "out").exists()
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"PK\x03\x04 not really")
    cli_fails(["import-official", str(junk), "--model", "cyclegan", "--out", str(tmp_path / "out")],
              "not a PyTorch weights file, or a damaged one")


def test_download_weights_never_replaces_a_folder_of_the_users(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSLATE_MIRROR", "http://127.0.0.1:9")  # a download would fail: it must not start
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    cli_fails(["download-weights", "horse2zebra", "--out", str(mine)], "already exists.*--overwrite")
    assert snapshot(mine) == {"notes.txt": b"keep me"}


def test_export_never_replaces_a_folder_of_the_users(tmp_path):
    from translate.storage.catalog import BUNDLED

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    cli_fails(["export", "--checkpoint", str(BUNDLED / "horse2zebra"), "--out", str(mine)], "overwrite")
    assert snapshot(mine) == {"notes.txt": b"keep me"}


@pytest.mark.parametrize("where", ["the run's parent", "the run", "inside the run"])
def test_export_never_writes_over_or_into_its_own_source(where, tmp_path, cyclegan_bundle):
    """`export --checkpoint P/run --out P --overwrite` once deleted the run and everything beside it."""
    import shutil

    parent = tmp_path / "P"
    run = parent / "run"
    shutil.copytree(cyclegan_bundle.parent, run)
    (parent / "notes.txt").write_text("keep me")
    before = snapshot(parent)
    out = {"the run's parent": parent, "the run": run, "inside the run": run / "state"}[where]
    for extra in ([], ["--format", "onnx", "--direction", "AtoB"]):
        text = cli_fails(["export", "--checkpoint", str(run), "--out", str(out), "--overwrite", *extra],
                         "would destroy what is being read")
        assert len(text.strip().splitlines()) == 1
    assert snapshot(parent) == before


def test_import_official_never_writes_over_the_file_it_reads(tmp_path):
    import torch

    from translate.nets.resnet import ResnetGenerator

    folder = tmp_path / "weights"
    folder.mkdir()
    torch.save(ResnetGenerator(ngf=4, n_blocks=6).state_dict(), folder / "G.pth")
    before = snapshot(folder)
    for out in (folder, folder / "G.pth"):
        cli_fails(["import-official", str(folder / "G.pth"), "--model", "cyclegan", "--out", str(out),
                   "--overwrite"], "would destroy what is being read")
    assert snapshot(folder) == before


# ---------------------------------------------------------------------------------- 2: the demo
def test_the_demo_removes_its_files_when_stopped_and_refuses_pixel_bombs(tmp_path):
    pytest.importorskip("gradio")
    import signal
    import socket
    import time
    import urllib.request

    from gradio_client import Client, handle_file
    from PIL import Image

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "GRADIO_TEMP_DIR": str(tmp_path / "gradio"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "translate", "demo", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        client = Client(url, verbose=False)
        photo = _photo(tmp_path / "up" / "horse.png", (64, 48))
        image, download, status = client.predict("horse → zebra", handle_file(str(photo)), api_name="/object")
        assert "horse → zebra: 64×48" in status and list(tmp_path.glob("translate-demo-*/*.png"))
        bomb = tmp_path / "up" / "bomb.png"
        Image.new("1", (12000, 11000)).save(bomb)
        with pytest.raises(Exception, match="132 megapixels, over the budget of 120"):
            client.predict("horse → zebra", handle_file(str(bomb)), api_name="/object")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert list(tmp_path.glob("translate-demo-*")) == []  # the results folder went with the server
    from translate.demo.app import EXAMPLES

    left = {p.name for p in (tmp_path / "gradio").rglob("*") if p.is_file() and p.parent.name != "vibe_edit_history"}
    assert left <= {p.name for p in EXAMPLES.glob("*.jpg")}, left  # uploads and results gone; example copies stay


def test_convert_and_download_leave_existing_files_alone(tmp_path, capsys):
    from translate.data import download as dl

    photo = _photo(tmp_path / "in" / "a.png")
    mine = tmp_path / "out.png"
    mine.write_bytes(b"my own file")
    assert main(["convert", "-c", "horse2zebra", "-i", str(photo), "-o", str(mine)]) == 0
    assert mine.read_bytes() == b"my own file" and "1 output(s) already exist" in capsys.readouterr().out
    folder = tmp_path / "datasets" / "horse2zebra"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("keep me")
    assert dl.download_dataset("horse2zebra", tmp_path / "datasets", url="http://127.0.0.1:9/x.zip") == folder
    assert snapshot(folder) == {"notes.txt": b"keep me"}  # present: nothing fetched, nothing replaced


# -------------------------------------------------------------------------------- 8: no local paths
def test_bundles_record_names_never_this_machines_paths(tmp_path):
    data = tmp_path / "secret-place" / "my_pairs"
    for side in ("trainA", "trainB"):
        for i in range(2):
            _photo(data / side / f"{i}.png", (36, 36), (40 * i + 60, 90, 120))
    run = tmp_path / "run"
    assert main(["train", "--model", "cyclegan", "--data", str(data), "--size", "32", "--ngf", "4", "--ndf", "4",
                 "--netG", "resnet_6blocks", "--steps", "2", "--out", str(run)]) == 0
    assert main(["export", "--checkpoint", str(run), "--out", str(tmp_path / "exported")]) == 0
    for config in (run / "bundle" / "config.json", tmp_path / "exported" / "config.json"):
        text = config.read_text()
        assert "secret-place" not in text and str(tmp_path) not in text, text
        assert json.loads(text)["train_data"] == "my_pairs"


# ------------------------------------------------------------------- silent wrong output, unbounded reads
def _bundle_copy(tmp_path, cyclegan_bundle, name="bundle"):
    import shutil

    folder = tmp_path / name
    shutil.copytree(cyclegan_bundle, folder)
    return folder


@pytest.mark.parametrize("damage", ["nan everywhere", "inf in the last layer", "int8", "bool"])
def test_weights_that_would_give_silent_wrong_output_are_refused(damage, tmp_path, cyclegan_bundle):
    import torch
    from safetensors.torch import load_file, save_file

    folder = _bundle_copy(tmp_path, cyclegan_bundle)
    tensors = load_file(str(folder / "model.safetensors"))
    last = sorted(k for k in tensors if k.startswith("G_AB.") and k.endswith(".weight"))[-1]
    if damage == "nan everywhere":
        tensors = {k: torch.full_like(v, float("nan")) for k, v in tensors.items()}
    elif damage == "inf in the last layer":
        tensors[last] = tensors[last].clone().fill_(float("inf"))
    else:
        dtype = {"int8": torch.int8, "bool": torch.bool}[damage]
        tensors = {k: v.to(dtype) for k, v in tensors.items()}
    save_file(tensors, str(folder / "model.safetensors"))
    image = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (16, 16), (90, 120, 30)).save(image)
    pattern = "NaN or infinite" if damage in ("nan everywhere", "inf in the last layer") else "stored as"
    cli_fails(["convert", "-c", str(folder), "-i", str(image), "-o", str(tmp_path / "out.png")], pattern)
    assert not (tmp_path / "out.png").exists()
    cli_fails(["export", "--checkpoint", str(folder), "--out", str(tmp_path / "x.onnx"), "--format", "onnx"],
              pattern)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_config_that_is_a_device_or_fifo_is_refused_not_read_forever(special, tmp_path, cyclegan_bundle):
    folder = _bundle_copy(tmp_path, cyclegan_bundle)
    (folder / "config.json").unlink()
    if special == "fifo":
        os.mkfifo(folder / "config.json")
    else:
        (folder / "config.json").symlink_to("/dev/zero")
    image = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (16, 16)).save(image)
    done = subprocess.run([sys.executable, "-m", "translate", "convert", "-c", str(folder), "-i", str(image), "-o",
                           str(tmp_path / "out.png")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "not a regular file" in done.stderr


@pytest.mark.parametrize("flags,pattern", [
    (["--lr-g", "nan"], "--lr-g must be a finite number"), (["--lr-d", "inf"], "--lr-d must be a finite number"),
    (["--ema", "1.5"], "--ema is a decay between 0 and 1"), (["--betas-g", "1.5", "nan"], "--betas-g must be"),
    (["--betas-d", "0.5", "1.0"], "Adam's betas lie in"), (["--grad-clip", "-1"], "cannot be negative"),
    (["--data", ""], r"^translate train: --data is required"),
])
def test_numbers_that_cannot_train_are_one_line_before_any_folder(flags, pattern, tmp_path):
    args = ["train", *TINY_GAN, "--steps", "1", "--out", str(tmp_path / "run"), *flags]
    if flags[0] == "--data":
        args = ["train", "--model", "gan", "--steps", "1", "--out", str(tmp_path / "run"), *flags]
    cli_fails(args, pattern)
    assert not (tmp_path / "run").exists()


def test_pix2pix_gives_the_same_output_whatever_the_threads(tmp_path, paired_root):
    """Test-time dropout masks come from the translator's seed; 8 threads sharing one translator (the demo's
    concurrent requests) each get what one call alone gets."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import torch
    from conftest import make_config

    import translate
    from translate.training.trainer import Trainer

    cfg = make_config("pix2pix", str(paired_root), train={"steps": 1}, model_kw={"netG": "unet_64"},
                      data_kw={"load_size": 64, "crop_size": 64})  # unet_64: the smallest U-Net with dropout
    run = Trainer(cfg, tmp_path / "run", quiet=True).fit()
    tr = translate.load(run / "bundle", device="cpu")
    assert tr.random  # dropout at test time: the case that drew from the global generator
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    alone = tr.translate_tensor(x)
    assert torch.equal(alone, tr.translate_tensor(x))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: tr.translate_tensor(x), range(16)))
    assert all(np.array_equal(r.numpy(), alone.numpy()) for r in results)


@pytest.mark.parametrize("flags,pattern", [
    (["--port", "-1"], "ports run from 1 to 65535"), (["--port", "70000"], "ports run from 1 to 65535"),
    (["--host", "bad..host"], "is not an address this machine can serve on"),
    (["--max-upload-mb", "0"], "--max-upload-mb positive"), (["--port", "BUSY"], "is in use; pick another --port"),
])
def test_the_demo_refuses_addresses_it_cannot_serve_in_one_line(flags, pattern):
    pytest.importorskip("gradio")
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        flags = [str(busy.getsockname()[1]) if f == "BUSY" else f for f in flags]
        cli_fails(["demo", *flags], pattern)


def test_the_demo_refuses_uploads_over_its_limit(tmp_path, cyclegan_bundle):
    pytest.importorskip("gradio")
    import shutil
    import socket

    from gradio_client import Client, handle_file

    from translate.demo import app

    zoo = tmp_path / "zoo"
    shutil.copytree(cyclegan_bundle, zoo / "horse2zebra")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.launch("127.0.0.1", port, [str(zoo)], block=False, max_upload_mb=0.01)  # 10 KiB
    try:
        big = tmp_path / "big.png"
        big.write_bytes(b"\x89PNG" + os.urandom(64 * 1024))
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        with pytest.raises(Exception, match="(?i)size|large|exceed"):
            client.predict("horse → zebra", handle_file(str(big)), api_name="/object")
    finally:
        demo.close()


def test_16_bit_and_float_images_keep_their_brightness(tmp_path, cyclegan_bundle):
    """A 16-bit PNG holding only 0-255 is nearly black (as training reads it), not full range; a float TIFF in
    [0, 1] is not black."""
    import numpy as np
    from PIL import Image

    import translate

    tr = translate.load(cyclegan_bundle, device="cpu", precision="fp32", scale="native")
    levels = np.tile(np.arange(0, 256, 8), (32, 1))  # exact in 8 bits, in 16 bits (x 257) and as floats / 255
    ramp = levels / 255.0
    low = Image.fromarray(levels.astype(np.uint16))  # values 0-255 in a 16-bit image
    full = Image.fromarray((levels * 257).astype(np.uint16))
    gray8 = Image.fromarray(levels.astype(np.uint8))
    as_low, as_full, as_8 = (np.asarray(tr(im.convert("I;16") if im.mode != "L" else im), dtype=int)
                             for im in (low, full, gray8))
    assert not np.array_equal(as_low, as_full)
    assert np.array_equal(as_full, as_8)  # full-range 16-bit reads as the same picture in 8 bits
    float_tiff = Image.fromarray(ramp.astype(np.float32), mode="F")
    assert np.abs(np.asarray(tr(float_tiff), dtype=int) - as_8).max() <= 1


def test_a_colour_profile_is_kept_only_where_it_describes_the_output(tmp_path, cyclegan_bundle):
    from PIL import Image, ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    cmyk = bytearray(srgb)
    cmyk[16:20] = b"CMYK"  # the header's colour space: what a CMYK photo's profile says
    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (24, 24), (200, 40, 40)).save(folder / "rgb.jpg", icc_profile=srgb)
    Image.new("CMYK", (24, 24), (0, 200, 200, 30)).save(folder / "cmyk.jpg", icc_profile=bytes(cmyk))
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(folder), "-o", str(tmp_path / "out"),
                 "--format", "png"]) == 0
    assert Image.open(tmp_path / "out" / "rgb.png").info.get("icc_profile") == srgb
    assert "icc_profile" not in Image.open(tmp_path / "out" / "cmyk.png").info
