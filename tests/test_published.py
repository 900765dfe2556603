"""Published weights: `translate download-weights` against a mirror on 127.0.0.1 installs into the per-user
weights folder (never over a bundled model), and one naming rule (bare name = your own, then published, then
bundled; NAME:source picks one) holds in translate.load, convert --checkpoint, translate list and the demo."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import FileServer, cli_fails
from PIL import Image

import translate
from translate.cli import main
from translate.errors import CheckpointError
from translate.storage.catalog import BUNDLED, Catalog, split_name


def official_generator_bytes(seed: int = 0, ngf: int = 8) -> bytes:
    """A generator .pth in the official layout (ResnetGenerator, 9 blocks; our nets keep its key names), with
    random weights: what the authors' server sends, only narrower."""
    from translate.nets.spec import build_net, net_spec

    torch.manual_seed(seed)
    net = build_net(net_spec("resnet_g", in_channels=3, out_channels=3, ngf=ngf, n_blocks=9, norm="instance"))
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def weights_payload() -> bytes:
    return official_generator_bytes()


@pytest.fixture
def mirror(weights_payload, monkeypatch):
    server = FileServer(weights_payload)
    monkeypatch.setenv("TRANSLATE_MIRROR", server.url)
    yield server
    server.close()


@pytest.fixture
def weights(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "user-cache" / "weights"
    monkeypatch.setenv("TRANSLATE_WEIGHTS", str(folder))
    return folder


def refused(argv: list[str], pattern: str, capsys) -> str:
    """Exit status 2 and one error line (after the "downloading URL -> file" line, once the server answered)."""
    import re

    assert main(argv) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "".join(said) and len(said) <= 2, said
    assert said[-1].startswith(f"translate {argv[0]}: ") and re.search(pattern, said[-1]), said
    assert len(said) == 1 or said[0].startswith("downloading "), said
    return said[-1]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def photo() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))


# ------------------------------------------------------------------------------------------ naming rule
def make_bundle(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_a_bare_name_is_yours_then_published_then_bundled_and_a_suffix_picks_one(tmp_path, monkeypatch,
                                                                                 cyclegan_bundle):
    monkeypatch.chdir(tmp_path)
    mine, published, bundled = tmp_path / "checkpoints", tmp_path / "weights", tmp_path / "shipped"
    make_bundle(cyclegan_bundle, bundled / "horse2zebra")
    catalog = Catalog(weights=published, bundled=bundled)
    assert catalog.resolve("horse2zebra") == bundled / "horse2zebra"
    make_bundle(cyclegan_bundle, published / "horse2zebra")
    assert catalog.resolve("horse2zebra") == published / "horse2zebra"
    assert catalog.resolve("horse2zebra:bundled") == bundled / "horse2zebra"
    make_bundle(cyclegan_bundle, mine / "horse2zebra")
    assert catalog.resolve("horse2zebra") == Path("checkpoints") / "horse2zebra"
    assert catalog.resolve("horse2zebra:published") == published / "horse2zebra"
    assert [i.qualified for i in catalog.installed("horse2zebra")] == [
        "horse2zebra:local", "horse2zebra:published", "horse2zebra:bundled"]
    assert catalog.resolve(str(bundled / "horse2zebra")) == bundled / "horse2zebra"  # a path is that folder
    with pytest.raises(CheckpointError, match=r"Did you mean 'horse2zebra'\?"):
        catalog.resolve("hors2zebra")
    with pytest.raises(CheckpointError, match="translate download-weights zebra2horse"):
        catalog.resolve("zebra2horse")
    with pytest.raises(CheckpointError, match="Installed: horse2zebra:local, horse2zebra:published"):
        Catalog(weights=published, bundled=None).resolve("horse2zebra:bundled")
    assert split_name("a:b:bundled") == ("a:b", "bundled") and split_name("x:other") == ("x:other", None)


def test_the_checkout_folder_counts_once_as_bundled(monkeypatch):
    """From the project root ./checkpoints IS the bundled folder: it must not pose as your own."""
    monkeypatch.chdir(BUNDLED.parent)
    catalog = Catalog()
    assert [s for s, _ in catalog.roots()].count("bundled") == 1
    assert all(r.resolve() != BUNDLED.resolve() for r in catalog.local)
    assert catalog.find("horse2zebra").source == "bundled"


# ------------------------------------------------------------------------------------------ download
@pytest.mark.parametrize("where", ["project root", "another folder"])
def test_download_weights_installs_beside_the_bundle_and_takes_the_name(where, mirror, weights, tmp_path,
                                                                       monkeypatch, capsys):
    monkeypatch.chdir(BUNDLED.parent if where == "project root" else tmp_path)
    before = digest(BUNDLED / "horse2zebra")
    assert main(["download-weights", "horse2zebra"]) == 0
    assert f"horse2zebra: installed in {weights / 'horse2zebra'}" in capsys.readouterr().out
    assert mirror.ranges == [""]
    assert digest(BUNDLED / "horse2zebra") == before  # the bundled model is untouched
    assert sorted(p.name for p in weights.iterdir()) == ["horse2zebra"]  # no temp or download leftovers
    assert not (tmp_path / "checkpoints").exists()

    image = photo()
    ours = translate.load("horse2zebra")
    assert ours.config["published"]["paper"] == "Zhu et al. 2017" and ours.config["official_netG"] == "resnet_9blocks"
    bundled = translate.load("horse2zebra:bundled")
    assert bundled.config["nets"]["G_AB"]["kwargs"]["ngf"] == 32
    assert not np.array_equal(np.asarray(ours(image)), np.asarray(bundled(image)))
    with pytest.raises(CheckpointError, match="add `:bundled` to the name"):
        translate.load("horse2zebra", direction="BtoA")  # the published file is one direction

    # convert --checkpoint follows the same rule
    image.save(tmp_path / "in.png")
    for name, out in (("horse2zebra", "published.png"), ("horse2zebra:bundled", "bundled.png")):
        assert main(["convert", "-c", name, "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / out)]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "published.png")), np.asarray(ours(image)))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "bundled.png")), np.asarray(bundled(image)))

    # and translate list shows both, each with where it came from
    capsys.readouterr()
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert f" published weights (`translate download-weights`), {weights}:\n  horse2zebra " in listing
    assert "published CycleGAN weights (Zhu et al. 2017), ResNet-9 ngf 8, 256 px" in listing
    assert "bundled CPU model, CycleGAN ResNet-6 ngf 32, 128 px, 12,000 steps" in listing
    assert "the bare name means the one above; this one is horse2zebra:bundled" in listing

    assert main(["download-weights", "horse2zebra"]) == 0  # installed: nothing fetched again
    assert "already installed" in capsys.readouterr().out and len(mirror.ranges) == 1


def test_a_transfer_cut_mid_file_installs_nothing_and_resumes(mirror, weights, weights_payload, capsys):
    mirror.cut = len(weights_payload) // 3
    assert main(["download-weights", "zebra2horse"]) == 2
    said = capsys.readouterr().err.strip().splitlines()  # the "downloading URL -> file" line, then the error
    assert said[0].startswith("downloading ") and len(said) == 2 and "Traceback" not in said[1]
    assert said[1].startswith("translate download-weights: could not download the zebra2horse weights")
    assert "transfer ended early" in said[1] and "To place them by hand: fetch " in said[1]
    assert not (weights / "zebra2horse").exists()
    assert main(["download-weights", "zebra2horse"]) == 0
    assert mirror.ranges[-1] == f"bytes={len(weights_payload) // 3}-"  # resumed, not started over
    assert translate.load("zebra2horse").config["published"]["name"] == "zebra2horse"


def test_offline_and_damaged_downloads_say_what_failed_and_how_to_place_the_file(weights, monkeypatch, capsys):
    monkeypatch.setenv("TRANSLATE_MIRROR", "http://127.0.0.1:9")  # nothing listens on the discard port
    text = refused(["download-weights", "horse2zebra"], "cannot connect", capsys)
    assert "translate import-official FILE.pth --model cyclegan --direction AtoB --out " in text
    assert len(text.strip().splitlines()) == 1 and not (weights / "horse2zebra").exists()
    assert not (weights / ".downloads").exists()  # nothing left behind but what a resume needs

    junk = FileServer(b"\x80\x02 not a state dict" * 100)  # arrives whole, but is no generator
    monkeypatch.setenv("TRANSLATE_MIRROR", junk.url)
    try:
        refused(["download-weights", "horse2zebra"], "did not pass their check .*the file was deleted", capsys)
    finally:
        junk.close()
    assert not (weights / "horse2zebra").exists() and not any((weights / ".downloads").glob("*.pth"))


def test_non_finite_weights_are_refused_before_install(weights, monkeypatch, capsys):
    sd = torch.load(io.BytesIO(official_generator_bytes()), weights_only=True)
    last = max((k for k in sd if k.endswith(".weight")), key=lambda k: int(k.split(".")[1]))
    sd[last][0, 0, 0, 0] = float("nan")
    buf = io.BytesIO()
    torch.save(sd, buf)
    server = FileServer(buf.getvalue())
    monkeypatch.setenv("TRANSLATE_MIRROR", server.url)
    try:
        refused(["download-weights", "horse2zebra"], "did not pass their check .*NaN or infinite", capsys)
    finally:
        server.close()
    assert not (weights / "horse2zebra").exists()


def test_another_model_at_out_is_not_taken_for_the_published_one(mirror, weights, cyclegan_bundle, tmp_path):
    import shutil

    mine = tmp_path / "mine"
    shutil.copytree(cyclegan_bundle, mine)
    before = digest(mine)
    cli_fails(["download-weights", "horse2zebra", "--out", str(mine)], "already exists and is not these weights")
    assert digest(mine) == before and mirror.ranges == []


def test_download_weights_never_writes_into_the_bundled_folder(mirror, weights):
    before = digest(BUNDLED / "horse2zebra")
    cli_fails(["download-weights", "horse2zebra", "--out", str(BUNDLED / "horse2zebra"), "--overwrite"],
              "where the bundled models live")
    assert digest(BUNDLED / "horse2zebra") == before and mirror.ranges == []


# ------------------------------------------------------------------------------------------------ demo
CHROMIUM = Path("/usr/bin/chromium")


def test_the_demo_names_its_model_and_switches_to_the_published_one(mirror, weights):
    gr = pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[demo]')")
    from translate.demo import app

    zoo = app.ModelZoo()
    task, image = "Object transfiguration", photo()
    before = digest(BUNDLED / "horse2zebra")
    _, _, status = app.translate_image(zoo, task, "horse → zebra", image)
    assert "Model: bundled CPU model, CycleGAN ResNet-6 ngf 32, 128 px, 12,000 steps, 11.1 CPU hours." in status
    calls = []
    result, _, status = app.install_published_weights(zoo, task, "horse → zebra", image,
                                                      progress=lambda *a, **k: calls.append(a))
    assert status.startswith(f"Installed the published model horse2zebra in {weights / 'horse2zebra'}, checked")
    assert "Model: published CycleGAN weights (Zhu et al. 2017), ResNet-9 ngf 8, 256 px." in status
    assert calls and calls[-1][0][0] == calls[-1][0][1]  # the progress bar reached the whole file
    want = translate.load("horse2zebra:published")(image)
    assert np.array_equal(np.asarray(result), np.asarray(want))
    _, _, status = app.translate_image(zoo, task, "zebra → horse", image)  # one direction only was published
    assert "Model: bundled CPU model" in status
    _, _, status = app.install_published_weights(zoo, task, "horse → zebra", None)
    assert status.startswith("The published model horse2zebra is installed") and "Upload a photo" in status
    assert digest(BUNDLED / "horse2zebra") == before and len(mirror.ranges) == 1

    offline = app.ModelZoo(weights=weights.parent / "other")
    mirror.close()
    with pytest.raises(gr.Error, match=r"Could not install the published model: could not download the "
                                       r"zebra2horse weights: .*cannot connect.*To place them by hand") as e:
        app.install_published_weights(offline, task, "zebra → horse", image)
    assert "\n" not in str(e.value)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
def test_the_published_model_button_in_a_real_browser(mirror, weights, tmp_path):
    pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[demo]')")
    playwright = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright (dev extra)")
    import socket

    from translate.demo import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo(app.ModelZoo(), 512)
    demo.queue(default_concurrency_limit=2)
    demo.launch(server_name="127.0.0.1", server_port=port, share=False, prevent_thread_lock=True, quiet=True,
                ssr_mode=False, allowed_paths=[str(app.EXAMPLES)])
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="Object transfiguration").click()
            page.locator("#object-input input[type=file]").set_input_files(str(app.EXAMPLES / "horse_1.jpg"))
            page.locator("#object-run").click()
            status = page.locator("#object-status")
            status.filter(has_text="Model: bundled CPU model").wait_for(timeout=60_000)
            page.locator("#object-published").click()
            status.filter(has_text="Model: published CycleGAN weights (Zhu et al. 2017)").wait_for(timeout=60_000)
            text = status.inner_text()
            page.screenshot(path=str(tmp_path / "published.png"), full_page=True)
            browser.close()
    finally:
        demo.close()
    assert text.startswith("Installed the published model horse2zebra") and "horse → zebra: 256×256" in text
    assert (weights / "horse2zebra" / "model.safetensors").is_file()


def test_a_run_trained_inside_the_checkout_is_the_users_not_bundled(tmp_path):
    """`translate train` run from the clone writes checkpoints/run-NNN into the bundled folder: such a run
    is listed and found as the user's own (before published weights), never as a shipped model."""
    from translate.storage.catalog import Catalog

    shipped = tmp_path / "checkpoints"
    (shipped / "horse2zebra").mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (shipped / "horse2zebra" / name).write_text("{}")
    (shipped / "run-001-gan-ring8" / "state").mkdir(parents=True)
    catalog = Catalog(weights=tmp_path / "weights", bundled=shipped)
    sources = {i.name: i.source for i in catalog.installed()}
    assert sources == {"run-001-gan-ring8": "local", "horse2zebra": "bundled"}
    assert catalog.find("run-001-gan-ring8:local").path == shipped / "run-001-gan-ring8"
    assert catalog.find("run-001-gan-ring8:bundled") is None
