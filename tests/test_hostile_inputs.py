"""Hostile inputs, per command: numbers and paths that would fail deep inside, crafted sampler configs, outputs
that would replace what is not theirs, formats that cannot hold what they are given. Each gives one line and
exit status 2 before any work, and nothing outside the named output changes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_fails
from PIL import Image

from translate.cli import main


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(folder / "a.png")
    Image.fromarray(rng.integers(0, 255, (40, 48, 4), dtype=np.uint8)).save(folder / "rgba.png")
    return folder


# ------------------------------------------------------------------------------------------- convert
@pytest.mark.parametrize("flags,pattern", [
    (["--tile", "1"], r"--tile 1: a tile must be at least 64"),
    (["--glob", "/etc/*"], r"--glob '/etc/\*': a pattern is matched inside --input"),
    (["--glob", "../*.png"], r"give a relative one"),
    (["--device", "foo"], r"--device 'foo': use auto, cpu, cuda or cuda:N"),
])
def test_convert_refuses_settings_it_cannot_run(flags, pattern, photos, cyclegan_bundle, tmp_path):
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(photos), "-o", str(tmp_path / "out"), *flags],
              pattern)
    assert not (tmp_path / "out").exists()


def test_a_video_or_image_to_the_other_kind_of_file_is_refused(photos, cyclegan_bundle, tmp_path):
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(photos / "a.png"), "-o", str(tmp_path / "a.mp4")],
              r"an image converts to an image file or a folder, not to a \.mp4 file")
    (tmp_path / "clip.mp4").write_bytes(b"not really a video")
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(tmp_path / "clip.mp4"),
               "-o", str(tmp_path / "frame.png")], r"a video converts to a video file")
    assert not (tmp_path / "frame.png").exists() and not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize("fmt", ["ppm", "jpg", "gif", "png"])
def test_transparency_a_format_cannot_hold_is_said_not_dropped_silently(fmt, photos, cyclegan_bundle, tmp_path,
                                                                         capsys):
    out = tmp_path / f"out.{fmt}"
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(photos / "rgba.png"), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    written = Image.open(out)
    if fmt == "png":
        assert written.mode == "RGBA" and "transparency" not in said
        return
    assert "1 had transparency their format cannot hold" in said and "png, webp or tiff keep it" in said
    if fmt in ("ppm", "jpg"):  # on white where transparent, as a viewer shows it
        alpha = np.asarray(Image.open(photos / "rgba.png").getchannel("A"))
        rgb = np.asarray(written.convert("RGB")).astype(int)
        assert rgb[alpha == 0].min() >= 250 - (30 if fmt == "jpg" else 0)


# -------------------------------------------------------------------------------------------- sample
def test_sample_refuses_more_samples_than_memory_holds(tmp_path):
    cli_fails(["sample", "--checkpoint", "mnist_cgan", "--n", "100000000", "--out", str(tmp_path / "s.png")],
              r"--n 100,000,000: draw from 1 to [\d,]+ samples at a time")
    assert not (tmp_path / "s.png").exists()


@pytest.mark.parametrize("field,value,pattern", [
    ("sample_shape", [8192, 8192, 8192], r"1 or 3 channels and at most 4096x4096"),
    ("sample_shape", [1, 32, 32], r"disagrees with the generator's image_size 28"),
    ("sample_shape", [2], r"points are \(D,\), images \(C, H, W\)"),
    ("class_names", [str(i) for i in range(100_000)], r"at most 10,000 names"),
    ("class_names", ["a", "b"], r"names 2 classes; the generator takes 10"),
    ("z_dim", 64, r"'z_dim' disagrees with the generator's z_dim 100"),
])
def test_a_crafted_sampler_config_is_one_line_naming_the_field(field, value, pattern, tmp_path):
    bundle = tmp_path / "crafted"
    shutil.copytree(Path(__file__).resolve().parents[1] / "checkpoints" / "mnist_cgan", bundle)
    config = json.loads((bundle / "config.json").read_text())
    config[field] = value
    (bundle / "config.json").write_text(json.dumps(config))
    cli_fails(["sample", "--checkpoint", str(bundle), "--n", "4", "--out", str(tmp_path / "s.png")], pattern)


# --------------------------------------------------------------------------------------------- train
@pytest.mark.parametrize("flags,pattern", [
    (["--model", "dcgan", "--data", "digits", "--size", "100000"], r"--size 100000: training images are at most"),
    (["--model", "cyclegan", "--data", "horse2zebra", "--load-size", "99999"], r"--load-size 99999"),
])
def test_train_refuses_sizes_and_devices_before_any_folder(flags, pattern, tmp_path):
    cli_fails(["train", *flags, "--steps", "1", "--out", str(tmp_path / "run")], pattern)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("damage", ["{garbage", "", "[1, 2]"])
def test_resume_with_a_damaged_config_uses_the_one_its_states_keep(damage, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8", "--steps", "2",
                 "--checkpoint-every", "1", "--out", str(run)]) == 0
    (run / "config.json").write_text(damage)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "3"]) == 0
    assert "using the configuration kept in" in capsys.readouterr().err
    shutil.rmtree(run / "state")
    cli_fails(["train", "--resume", str(run)], r"no saved state")


# -------------------------------------------------------------------------------------------- export
def test_export_overwrite_replaces_only_a_bundle(tmp_path, cyclegan_bundle, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    monkeypatch.chdir(mine)
    cli_fails(["export", "--checkpoint", str(cyclegan_bundle), "--out", ".", "--overwrite"],
              r"--out \. is not a bundle \(it holds notes\.txt\)")
    assert snapshot(mine) == {"notes.txt": b"keep me"} and sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    bundle = tmp_path / "b"
    assert main(["export", "--checkpoint", str(cyclegan_bundle), "--out", str(bundle)]) == 0
    assert main(["export", "--checkpoint", str(cyclegan_bundle), "--out", str(bundle), "--overwrite"]) == 0
    (tmp_path / "file").write_text("x")
    cli_fails(["export", "--checkpoint", str(cyclegan_bundle), "--out", str(tmp_path / "file"), "--overwrite"],
              r"is not a folder")


def test_onnx_export_to_a_folder_names_a_file_instead(tmp_path, cyclegan_bundle):
    (tmp_path / "dir").mkdir()
    cli_fails(["export", "--checkpoint", str(cyclegan_bundle), "--format", "onnx", "--out", str(tmp_path / "dir"),
               "--overwrite"], r"is a folder; an ONNX export is one file")
    assert list((tmp_path / "dir").iterdir()) == []


def test_training_data_too_small_for_its_batch_is_one_line(tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "x.png").write_text("not an image")
    (junk / "y.png").write_bytes(b"")
    cli_fails(["train", "--model", "dcgan", "--data", str(junk), "--steps", "1", "--out", str(tmp_path / "r")],
              r"holds no example that reads")
    one = tmp_path / "one"
    one.mkdir()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(one / "a.png")
    cli_fails(["train", "--model", "dcgan", "--data", str(one), "--steps", "1", "--batch-size", "64",
               "--out", str(tmp_path / "r")], r"1 example\(s\), fewer than --batch-size 64; lower --batch-size to "
                                              r"at most 1")
    assert not (tmp_path / "r").exists()


def test_a_conversion_without_a_terminal_prints_progress_lines(photos, cyclegan_bundle, tmp_path, monkeypatch,
                                                               capsys):
    """stderr to a log file (nohup, CI): progress comes as whole lines now and then, not silence or \\r."""
    from translate.inference import video

    original = video.LineProgress.__init__
    monkeypatch.setattr(video.LineProgress, "__init__", lambda self, total, unit, label="", every=30.0:
                        original(self, total, unit, label, every=0.0))
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(photos), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "1 of 2 (50%) images" in err and "2 of 2 (100%) images" in err and "\r" not in err


def test_an_in_place_conversion_never_translates_its_translations_again(photos, cyclegan_bundle, capsys):
    """-i D -o D --overwrite-inputs: a re-run (or the resume of an interrupted run) skips what it already
    translated, by the bytes it wrote there; a file the user puts back is translated again."""
    argv = ["convert", "-c", str(cyclegan_bundle), "-i", str(photos), "-o", str(photos), "--overwrite-inputs"]
    originals = snapshot(photos)
    assert main(argv) == 0 and "2 converted" in capsys.readouterr().out
    once = snapshot(photos)
    assert once["a.png"] != originals["a.png"]
    assert main(argv) == 0 and "nothing to convert: 2 output(s) already exist" in capsys.readouterr().out
    assert {k: v for k, v in snapshot(photos).items() if not k.startswith(".")} == \
        {k: v for k, v in once.items() if not k.startswith(".")}
    (photos / "a.png").write_bytes(originals["a.png"])  # a new photo under the same name
    assert main(argv) == 0 and "1 converted, 1 skipped" in capsys.readouterr().out


def test_the_strip_wise_work_scale_is_the_formula_it_replaces():
    """out = up(G(down x)) + x - up(down x), now built strip by strip from two interpolation matrices (into
    float or straight into uint8): the same pixels as the whole-image formula."""
    import torch
    import torch.nn.functional as F

    from translate.data.transforms import to_uint8
    from translate.inference import images, resample

    x = torch.rand(1, 3, 150, 237, generator=torch.Generator().manual_seed(0)) * 2 - 1
    net = torch.nn.Conv2d(3, 3, 3, padding=1).requires_grad_(False)
    low = F.interpolate(x, size=(64, 101), mode="bicubic", align_corners=False, antialias=True)
    up = lambda t: F.interpolate(t, size=(150, 237), mode="bicubic", align_corners=False)  # noqa: E731
    want = (up(net(low)) + x - up(low)).clamp(-1, 1)
    old_strip = resample.STRIP_PIXELS
    try:
        resample.STRIP_PIXELS = 237 * 7  # strips of 7 rows: every border between strips is exercised
        got = images.at_work_scale(net, x, 64)
        got8 = images.at_work_scale(net, x, 64, out=torch.empty(1, 3, 150, 237, dtype=torch.uint8))
    finally:
        resample.STRIP_PIXELS = old_strip
    assert (got - want).abs().max() < 1e-5
    assert (got8.int() - to_uint8(want).int()).abs().max() <= 1


def test_a_full_disk_under_convert_is_one_line_naming_the_failures(photos, cyclegan_bundle, tmp_path, monkeypatch,
                                                                  capsys):
    """Every write fails (ENOSPC): each image is listed as failed, and the list itself cannot be written either;
    the command still ends in one line that names the first failures and the fix."""
    import errno

    from translate.storage import atomic

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "atomic_write_bytes", full)
    out = tmp_path / "out"
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(photos), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith("translate convert: 2 file(s) failed (")
    assert "No space left on device" in last and "free space there, or choose another --output" in last
    assert not any(out.rglob("*.png"))


def test_a_state_that_does_not_fit_on_the_disk_stops_training_in_one_line(tmp_path, monkeypatch, capsys):
    """The save of step 2 fails (ENOSPC): one line naming the last good state and --resume; that state is intact."""
    import errno

    import safetensors.torch

    from translate.training import state

    real, calls = safetensors.torch.save_file, []

    def fills_up(tensors, path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 2:  # step 1's two files fit, step 2's do not
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(tensors, path, *args, **kwargs)

    monkeypatch.setattr(state, "save_file", fills_up)
    run = tmp_path / "run"
    assert main(["train", "--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8", "--steps", "3",
                 "--checkpoint-every", "1", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith("translate train: could not save the state of step 2 ")
    assert re.search(r"No space left on device.*last saved state is .*step-0000001.*--resume", last), last
    assert [p.name for p in (run / "state").iterdir()] == ["step-0000001"]  # no half-written folder left
    monkeypatch.setattr(state, "save_file", real)
    assert main(["train", "--resume", str(run)]) == 0


@pytest.mark.parametrize("argv", [
    ["sample", "--checkpoint", "mnist_cgan", "--n", "4", "--out", "{f}/s.png"],
    ["train", "--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8", "--steps", "1",
     "--out", "{f}/run"],
    ["export", "--checkpoint", "mnist_cgan", "--out", "{f}/bundle"],
])
def test_an_output_that_cannot_be_written_is_one_line_for_every_command(argv, tmp_path):
    """A file where a folder must be stands for every unwritable place (read-only, no permission, full): root
    ignores permissions, so this is the fault a test can make everywhere."""
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    argv = [a.replace("{f}", str(blocker)) for a in argv]
    cli_fails(argv, r"cannot use .*afile.* \(a file stands where a folder is needed\); pick a location")
    assert blocker.read_text() == "mine"


def test_eval_refuses_a_json_path_it_could_not_write_before_any_work(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    cli_fails(["eval", "--checkpoint", "mnist_cgan", "--metric", "class", "--data", "digits",
               "--json", str(blocker / "sub" / "x.json")], r"--json .*afile is a file, where a folder must be")
    assert blocker.read_text() == "mine"
