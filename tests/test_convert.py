"""`translate convert` and tiled inference: sizes, bad files, resumable re-runs, safety rules, tiles."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import cli_fails
from PIL import Image

import translate
from translate.cli import main
from translate.data.transforms import to_uint8
from translate.inference import tiling
from translate.inference.convert import ERRORS_FILE, plan_conversion
from translate.inference.image_files import write_image_atomic
from translate.inference.tiling import run_tiled, tile_starts
from translate.nets.layers import init_weights
from translate.nets.resnet import ResnetGenerator


def _photo(rng, h, w, channels=3):
    """A smooth, photo-like image (low-frequency colour blobs plus a little noise)."""
    small = rng.integers(0, 255, (max(2, h // 16), max(2, w // 16), channels), dtype=np.uint8)
    big = np.asarray(Image.fromarray(small.squeeze(-1) if channels == 1 else small).resize((w, h), Image.BICUBIC))
    return np.clip(big.astype(int) + rng.integers(-8, 8, big.shape), 0, 255).astype(np.uint8)


@pytest.fixture()
def mixed_folder(tmp_path):
    """Good images of several kinds (odd sizes, a subfolder, 16-bit, RGBA, grayscale) and two bad files."""
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(_photo(rng, 37, 45)).save(src / "odd.png")
    Image.fromarray(_photo(rng, 50, 66)).save(src / "sub" / "photo.jpg", quality=92)
    Image.fromarray(_photo(rng, 50, 66)).save(src / "sub" / "photo2.png")
    Image.fromarray((rng.random((30, 41)) * 65535).astype(np.uint16)).save(src / "deep16.png")
    Image.fromarray(np.dstack([_photo(rng, 33, 27), rng.integers(0, 255, (33, 27), dtype=np.uint8)]),
                    "RGBA").save(src / "alpha.png")
    Image.fromarray(_photo(rng, 40, 31, 1)).save(src / "gray.jpg")
    full = (src / "sub" / "photo.jpg").read_bytes()
    (src / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (src / "notes.jpg").write_text("meeting notes, saved with the wrong extension")
    return src


def _digest(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


GOOD = ("odd.png", "sub/photo.jpg", "sub/photo2.png", "deep16.png", "alpha.png", "gray.jpg")


def test_mixed_folder_converts_the_good_files_and_lists_the_bad(tmp_path, mixed_folder, cyclegan_bundle, capsys):
    before = _digest(mixed_folder)
    out = tmp_path / "out"
    rc = main(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out), "--batch-size", "2"])
    assert rc == 1
    assert "6 converted, 2 failed: see" in capsys.readouterr().err
    assert _digest(mixed_folder) == before  # the input folder is never written
    tr = translate.load(cyclegan_bundle)
    for rel in GOOD:
        src, dst = Image.open(mixed_folder / rel), Image.open(out / rel)
        assert dst.size == src.size, rel
    assert Image.open(out / "deep16.png").mode == "L" and Image.open(out / "gray.jpg").mode == "L"
    alpha = Image.open(out / "alpha.png")
    assert alpha.mode == "RGBA"
    assert np.array_equal(np.asarray(alpha)[..., 3], np.asarray(Image.open(mixed_folder / "alpha.png"))[..., 3])
    # a lossless output equals the Python API's result on the same file, pixel for pixel
    assert np.array_equal(np.asarray(Image.open(out / "odd.png")), np.asarray(tr(Image.open(mixed_folder / "odd.png"))))
    errors = (out / ERRORS_FILE).read_text().splitlines()[1:]
    assert sorted(line.split("\t")[0] for line in errors) == [str(mixed_folder / "notes.jpg"),
                                                              str(mixed_folder / "truncated.jpg")]
    assert "truncated" in next(line for line in errors if "truncated.jpg" in line).split("\t")[1]
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]

    # the second run skips everything already converted and leaves those files alone
    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in GOOD}
    rc = main(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out)])
    assert rc == 1 and "0 converted, 6 skipped (already converted), 2 failed" in capsys.readouterr().err
    assert stamps == {rel: (out / rel).stat().st_mtime_ns for rel in GOOD}

    # once the bad files are gone, a re-run succeeds and removes the stale error list
    (mixed_folder / "notes.jpg").unlink()
    (mixed_folder / "truncated.jpg").unlink()
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out)]) == 0
    assert not (out / ERRORS_FILE).exists()


def test_batched_conversion_equals_one_image_at_a_time(tmp_path, cyclegan_bundle):
    rng = np.random.default_rng(1)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):  # two sizes, so batches of equal size form and break
        Image.fromarray(_photo(rng, 36, 44) if i % 2 else _photo(rng, 28, 40)).save(src / f"{i}.png")
    for bs in (1, 4):
        assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(src), "-o", str(tmp_path / f"b{bs}"),
                     "--batch-size", str(bs), "--workers", "3"]) == 0
    for i in range(5):
        a, b = (np.asarray(Image.open(tmp_path / f"b{bs}" / f"{i}.png"), dtype=int) for bs in (1, 4))
        assert np.abs(a - b).max() <= 1  # batching changes float summation order only


def test_images_over_the_memory_budget_are_decoded_one_at_a_time(tmp_path, mixed_folder, cyclegan_bundle,
                                                                  monkeypatch):
    """Decodes run ahead of the net only while the images held (decoded, not yet written) fit HELD_PIXELS:
    with a budget below any image, one is held at a time, and every good file still converts, the bad ones
    listed, with batches and worker threads asked for."""
    import threading

    from translate.inference import convert

    held, most, lock = [0], [0], threading.Lock()
    decode, write = convert._decode, convert.write_image_atomic

    def counted_decode(*args):
        with lock:
            held[0] += 1
            most[0] = max(most[0], held[0])
        try:
            return decode(*args)
        except Exception:
            with lock:
                held[0] -= 1
            raise

    def counted_write(*args):
        try:
            return write(*args)
        finally:
            with lock:
                held[0] -= 1

    monkeypatch.setattr(convert, "HELD_PIXELS", 1)
    monkeypatch.setattr(convert, "_decode", counted_decode)
    monkeypatch.setattr(convert, "write_image_atomic", counted_write)
    out = tmp_path / "out"
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out),
                 "--batch-size", "4", "--workers", "2"]) == 1  # two bad files
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.*") if p.name != ERRORS_FILE) == sorted(GOOD)
    assert most[0] == 1 and held[0] == 0


def test_output_inside_or_equal_to_input_is_refused(tmp_path, mixed_folder, cyclegan_bundle):
    for out in (mixed_folder, mixed_folder / "converted"):
        cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out)],
                  "--overwrite-inputs")
    assert not (mixed_folder / "converted").exists()
    # allowed on request; the outputs in the subfolder are never taken as inputs on a re-run
    (mixed_folder / "notes.jpg").unlink()
    (mixed_folder / "truncated.jpg").unlink()
    out = mixed_folder / "converted"
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(mixed_folder), "-o", str(out),
                 "--overwrite-inputs"]) == 0
    plan = plan_conversion(mixed_folder, out, overwrite_inputs=True, skip_existing=False)
    assert not [j for j in plan.jobs if out in j.src.parents]


def test_outputs_inside_a_relative_input_are_never_inputs(tmp_path, mixed_folder, cyclegan_bundle, monkeypatch):
    """`-i d -o d/out` typed with a relative `d` converted its own outputs again on every re-run (d/out/out/...)."""
    (mixed_folder / "notes.jpg").unlink()
    (mixed_folder / "truncated.jpg").unlink()
    monkeypatch.chdir(mixed_folder.parent)
    rel = Path(mixed_folder.name)
    for _ in range(2):
        assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(rel), "-o", str(rel / "out"),
                     "--overwrite-inputs"]) == 0
    assert not (mixed_folder / "out" / "out").exists()
    plan = plan_conversion(rel, rel / "out", overwrite_inputs=True, skip_existing=False)
    assert plan.jobs and not [j for j in plan.jobs if "out" in j.src.parts[:2]]


def test_dry_run_list_file_format_and_side_by_side(tmp_path, mixed_folder, cyclegan_bundle, capsys):
    listing = tmp_path / "pick.txt"
    listing.write_text(f"# two files\n{mixed_folder / 'odd.png'}\n\n{mixed_folder / 'sub' / 'photo2.png'}\n")
    out = tmp_path / "out"
    args = ["convert", "-c", str(cyclegan_bundle), "-i", str(listing), "-o", str(out), "--format", "jpg"]
    assert main(args + ["--dry-run"]) == 0
    assert "would convert 2 file(s)" in capsys.readouterr().out and not out.exists()
    assert main(args + ["--side-by-side"]) == 0
    pair = Image.open(out / "odd.jpg")
    assert pair.format == "JPEG" and pair.size == (2 * 45, 37)
    assert Image.open(out / "photo2.jpg").size == (2 * 66, 50)


def test_bad_arguments_give_one_line_errors(tmp_path, cyclegan_bundle):
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(tmp_path / "nope"), "-o", str(tmp_path / "o")],
              "does not exist")
    img = tmp_path / "x.png"
    Image.new("RGB", (8, 8)).save(img)
    cli_fails(["convert", "-c", "missing-model", "-i", str(img), "-o", str(tmp_path / "o")],
              "no checkpoint 'missing-model'.*download-weights")
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(img), "-o", str(tmp_path / "o"), "--quality", "0"],
              "--quality is between 1 and 100")
    cli_fails(["convert", "-c", str(cyclegan_bundle), "-i", str(img), "-o", str(img)],
              "--output .*x.png is the input file")


def test_an_interrupted_write_leaves_no_half_file(tmp_path, monkeypatch):
    dst = tmp_path / "o" / "a.png"

    def crash(self, fp, *a, **k):  # half an image written, then the user presses Ctrl+C
        if hasattr(fp, "write"):
            fp.write(b"\x89PNG half")
        else:
            with open(fp, "wb") as f:
                f.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        write_image_atomic(Image.new("RGB", (4, 4)), dst)
    assert not dst.exists() and list(dst.parent.iterdir()) == []


# ----------------------------------------------------------------------------------------------- tiles
def _safe_mask(h, w, tile, overlap, radius):
    """Pixels farther than `radius` from every internal tile border."""
    m = torch.ones(h, w, dtype=torch.bool)
    for axis, length in ((0, h), (1, w)):
        for start in tile_starts(length, tile, overlap):
            end = start + min(tile, length)
            idx = [slice(None), slice(None)]
            if start > 0:
                idx[axis] = slice(start, start + radius)
                m[tuple(idx)] = False
            if end < length:
                idx[axis] = slice(end - radius, end)
                m[tuple(idx)] = False
    return m


def test_tiled_and_untiled_agree_away_from_seams_and_closely_at_them(monkeypatch):
    torch.manual_seed(0)
    net = init_weights(ResnetGenerator(ngf=8, n_blocks=1)).eval().requires_grad_(False)
    x = torch.from_numpy(_photo(np.random.default_rng(3), 100, 140)).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.inference_mode():
        full = net(x)
        tiled = run_tiled(net, x, net, tile=64, overlap=32, stats_pixels=100 * 140)  # statistics of the whole
        # a receptive radius of 20 px: 7x7 conv, two stride-2 convs, one block at 1/4 scale, two upsamplings
        safe = _safe_mask(100, 140, 64, 32, 20)
        diff = (tiled - full).abs()[0].amax(0)
        assert safe.float().mean() > 0.15 and diff[safe].max() < 1e-5
        assert diff[~safe].mean() < 0.01 and diff.max() < 0.1
        # statistics measured on a shrunken copy (what bounds memory on huge images) are an approximation,
        # but a better one than each tile normalising with its own statistics
        shrunk = (run_tiled(net, x, net, tile=64, overlap=32, stats_pixels=100 * 71) - full).abs().mean()
        monkeypatch.setattr(tiling, "global_norm_statistics", lambda *a: contextlib.nullcontext())
        per_tile = (run_tiled(net, x, net, tile=64, overlap=32, stats_pixels=100 * 140) - full).abs().mean()
        assert shrunk < 0.05 and shrunk < 0.6 * per_tile, (shrunk, per_tile)


def test_tiles_blended_band_by_band_into_uint8_are_the_float_result():
    """Large photos at their own resolution go band by band straight into 8-bit (memory): the same pixels as
    the whole float result, also on a side that is no multiple of the net's (tiles lie inside the photo)."""
    torch.manual_seed(0)
    net = init_weights(ResnetGenerator(ngf=8, n_blocks=1)).eval().requires_grad_(False)
    for h, w in ((100, 140), (98, 139)):
        x = torch.from_numpy(_photo(np.random.default_rng(3), h, w)).permute(2, 0, 1)[None].float() / 127.5 - 1
        with torch.inference_mode():
            want = to_uint8(run_tiled(net, x, net, tile=64, overlap=32))
            got = run_tiled(net, x, net, tile=64, overlap=32, out=torch.empty(1, 3, h, w, dtype=torch.uint8))
        assert (got.int() - want.int()).abs().max() <= 1, (h, w)


def test_translator_tiles_large_images_only(cyclegan_bundle):
    tr = translate.load(cyclegan_bundle, tile=32, tile_overlap=16)
    plain = translate.load(cyclegan_bundle)
    img = Image.fromarray(_photo(np.random.default_rng(4), 70, 90))
    a, b = np.asarray(tr(img), dtype=int), np.asarray(plain(img), dtype=int)
    assert a.shape == b.shape == (70, 90, 3)
    # tiles far smaller than this net's ~57 px receptive radius: the same picture, not the same pixels
    assert 0 < np.abs(a - b).mean() < 12
    small = Image.fromarray(_photo(np.random.default_rng(5), 30, 28))
    assert np.array_equal(np.asarray(tr(small)), np.asarray(plain(small)))  # under the tile size: untouched


def test_pix2pix_convert_gives_the_same_files_twice_and_names_its_protocol(tmp_path, capsys):
    """The bundled facades model runs dropout at test time (the paper's protocol): seeded, the same command
    gives identical files; --eval is the official deterministic alternative; the log says which ran."""
    labels = tmp_path / "labels"
    labels.mkdir()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)).save(labels / "a.png")
    outs = []
    for run, extra in (("one", []), ("two", []), ("seed", ["--seed", "7"]), ("eval", ["--eval"])):
        capsys.readouterr()
        assert main(["convert", "-c", "facades", "-i", str(labels), "-o", str(tmp_path / run), *extra]) == 0
        err = capsys.readouterr().err
        outs.append((tmp_path / run / "a.png").read_bytes())
        protocol = next(line for line in err.splitlines() if line.startswith("protocol: "))
        assert ("--eval: running BatchNorm statistics" in protocol) == (run == "eval"), protocol
    assert outs[0] == outs[1] and outs[0] != outs[2] and outs[0] != outs[3]
