"""The web demo: handlers called directly, the HTTP API through gradio_client, and a real browser."""

from __future__ import annotations

import json
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import make_config
from PIL import Image

gr = pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[demo]')")

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


from translate.demo import app  # noqa: E402  (after the importorskip above)


@pytest.fixture(scope="session")
def zoo_root(tmp_path_factory, cyclegan_bundle) -> Path:
    """Named checkpoints as the demo expects them: the three CycleGAN tasks and a digit generator."""
    from translate.training.trainer import Trainer

    root = tmp_path_factory.mktemp("zoo")
    for name in ("horse2zebra", "summer2winter_yosemite", "apple2orange", "facades"):
        shutil.copytree(cyclegan_bundle, root / name)  # (a stand-in for facades: one AtoB generator is used)
    config = json.loads((root / "horse2zebra" / "config.json").read_text())
    (root / "horse2zebra" / "config.json").write_text(json.dumps({**config, "degrid": True}))  # as the bundled one
    cfg = make_config("cgan", "digits", train={"steps": 2})
    run = Trainer(cfg, tmp_path_factory.mktemp("cgan") / "run", quiet=True).fit()
    shutil.copytree(run / "bundle", root / "mnist_cgan")
    return root


@pytest.fixture()
def photo(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (50, 70, 3), dtype=np.uint8)).save(path)
    return path


def test_translation_handler_keeps_size_and_offers_the_full_result(zoo_root, photo):
    zoo = app.ModelZoo([zoo_root])
    for task, directions in app.TASKS.items():
        for direction in directions:
            result, download, status = app.translate_image(zoo, task, direction, Image.open(photo))
            assert result.size == (70, 50) and Image.open(download).size == (70, 50)
            assert status.startswith(f"{direction}: 70×50 in ")
            assert "translated at 32 px (shorter side), the training scale" in status  # CycleGAN's work scale
            assert ("grid of the net's up-sampling taken out" in status) == (task == "Object transfiguration"
                                                                             and "zebra" in direction), status
    assert zoo.loaded() == 7  # each (checkpoint, direction) once, then cached
    result, _, status = app.translate_image(zoo, "Season transfer", "summer → winter", Image.open(photo), max_side=35)
    assert result.size == (35, 25) and "downscaled from 70×50 to 35×25" in status
    assert "training scale" not in status  # 25 px: below the work side, translated as it is


def test_missing_models_and_bad_files_give_friendly_messages(tmp_path, zoo_root):
    empty = app.ModelZoo([tmp_path / "nothing-here"], bundled=None)  # not even the repo's bundled checkpoints
    with pytest.raises(gr.Error, match="translate download-weights zebra2horse"):
        app.translate_image(empty, "Object transfiguration", "zebra → horse", Image.new("RGB", (8, 8)))
    with pytest.raises(gr.Error, match="No digit generator installed"):
        app.generate_digits(empty, "3", 0)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        app.translate_image(app.ModelZoo([zoo_root]), "Season transfer", "summer → winter", str(text))
    with pytest.raises(gr.Error, match="Upload an image first"):
        app.translate_image(app.ModelZoo([zoo_root]), "Season transfer", "summer → winter", None)


def test_generate_handler_draws_the_chosen_digit(zoo_root):
    grid, strip, status = app.generate_digits(app.ModelZoo([zoo_root]), "7", 3, 6)
    assert grid.width > grid.height and strip.width > 4 * strip.height
    again, _, _ = app.generate_digits(app.ModelZoo([zoo_root]), "7", 3, 6)
    assert np.array_equal(np.asarray(grid), np.asarray(again))  # the seed fixes the samples
    assert "digit 7, seed 3" in status


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(zoo_root):
    port = _free_port()
    demo = app.launch("127.0.0.1", port, [str(zoo_root)], block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_every_endpoint_over_http(server, photo, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    for api, direction in (("/season", "winter → summer"), ("/object", "apple → orange"),
                           ("/facades", "labels → photo")):
        image, download, status = client.predict(direction, handle_file(str(photo)), api_name=api)
        assert Image.open(image).size == (70, 50) and Image.open(download).size == (70, 50)
        assert direction in status
    samples, strip, status = client.predict("4", 1, 8, api_name="/generate")
    assert Image.open(samples).size[0] > 0 and "digit 4" in status
    bad = tmp_path / "upload.png"
    bad.write_text("definitely not a PNG")
    with pytest.raises(Exception, match="not an image this demo can read"):
        client.predict("summer → winter", handle_file(str(bad)), api_name="/season")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
def test_real_browser_upload_translate_and_screenshot(server, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright (dev extra)")
    example = app.EXAMPLES / "horse_1.jpg"
    shot = tmp_path / "demo.png"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(server)
        page.get_by_role("tab", name="Object transfiguration").click()
        page.locator("#object-input input[type=file]").set_input_files(str(example))
        page.locator("#object-run").click()
        out = page.locator("#object-output img")
        out.wait_for(state="visible", timeout=60_000)
        page.wait_for_function("() => { const i = document.querySelector('#object-output img');"
                               " return i && i.complete && i.naturalWidth > 0; }", timeout=60_000)
        assert page.evaluate("document.querySelector('#object-output img').naturalWidth") == 256
        page.locator("#object-status").filter(has_text="horse → zebra: 256×256").wait_for(timeout=30_000)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert Image.open(shot).size[0] == 1200


def test_translate_demo_command_serves_the_page(zoo_root):
    """`translate demo` itself (the command people type) starts a server that answers on 127.0.0.1."""
    import subprocess
    import time
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "translate", "demo", "--port", str(port), "--checkpoints",
                             str(zoo_root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200 and b"translate" in r.read()
                    return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"translate demo did not serve the page: {proc.stdout.read() if proc.poll() is not None else ''}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_every_tab_and_direction_runs_the_bundle_it_names(photo):
    """With the bundled models: each direction's output is exactly what translate.load(that bundle, that
    direction) gives (a swapped direction or model would fail here), and the status names the real device."""
    import translate
    from translate.device import device_name

    zoo = app.ModelZoo()
    image = Image.open(photo)
    for task, directions in app.TASKS.items():
        for direction, candidates in directions.items():
            name, way = candidates[0]
            result, _, status = app.translate_image(zoo, task, direction, image)
            want = translate.load(name, direction=way)(image)
            assert np.array_equal(np.asarray(result), np.asarray(want)), (task, direction)
            if len(translate.load(name).config["directions"]) == 2:  # the two directions differ
                other = translate.load(name, direction="BtoA" if way == "AtoB" else "AtoB")(image)
                assert not np.array_equal(np.asarray(result), np.asarray(other))
            assert status.endswith(f"on {device_name(translate.load(name).device)}") or " on CPU (" in status


def test_a_side_by_side_facades_pair_is_translated_from_its_label_half():
    """The facades set ships photo | labels in one file; uploaded as is, the labels half is the input."""
    import translate

    rng = np.random.default_rng(0)
    labels = np.kron(rng.integers(0, 255, (4, 4, 3)), np.ones((16, 16, 1))).astype(np.uint8)  # blocks, 64 px
    pair = Image.fromarray(np.concatenate([rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), labels], 1))
    result, _, status = app.translate_image(app.ModelZoo(), "Facades", "labels → photo", pair)
    want = translate.load("facades")(Image.fromarray(labels))
    assert result.size == (64, 64) and np.array_equal(np.asarray(result), np.asarray(want))
    assert "right half" in status
    square, _, status = app.translate_image(app.ModelZoo(), "Facades", "labels → photo", Image.fromarray(labels))
    assert square.size == (64, 64) and "half" not in status


def test_the_generate_tab_draws_the_digit_asked_for():
    """The bundled class-conditional GAN through the demo's handler: the 16 digits of the grid it returns,
    cut back out, are read by a judge trained on real MNIST digits as the digit asked for."""
    import torch
    from conftest import SHARED_DATA

    from translate.metrics.evaluate import _class_judge

    if not (SHARED_DATA / "mnist").is_dir():
        pytest.skip("../shared/data/mnist is not beside this clone (the MNIST judge trains on it)")
    judge, _ = _class_judge("mnist", SHARED_DATA, 28, 1)
    zoo = app.ModelZoo()
    for digit in ("3", "7"):
        grid, strip, status = app.generate_digits(zoo, digit, 0)
        assert status.startswith(f"digit {digit}, seed 0")
        arr = np.asarray(grid.convert("L"))[::3, ::3]  # undo the 3x display scale
        tiles = [arr[2 + r * 30:30 + r * 30, 2 + c * 30:30 + c * 30] for r in range(2) for c in range(8)]
        x = torch.from_numpy(np.stack(tiles)).unsqueeze(1)
        assert judge.accuracy(x, int(digit)) >= 0.8


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
def test_webcam_photo_translates_in_a_real_browser(server):
    """The translation tabs take a webcam photo (Gradio's own component), here Chromium's fake camera."""
    playwright = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright (dev extra)")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", "--disable-background-networking", "--disable-sync"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(viewport={"width": 1200, "height": 1000}, permissions=["camera"])
        page = context.new_page()
        page.goto(server)
        page.get_by_role("tab", name="Season transfer").click()
        page.locator("#season-input button[aria-label='Capture from camera']").click()
        access = page.locator("#season-input").get_by_text("Click to Access Webcam")
        access.wait_for(timeout=30_000)
        access.click()
        page.wait_for_function("() => { const v = document.querySelector('#season-input video');"
                               " return v && v.readyState >= 2 && v.videoWidth > 0; }", timeout=30_000)
        page.locator("#season-input [title='capture photo']").click(timeout=30_000)
        page.locator("#season-input img").first.wait_for(state="visible", timeout=30_000)  # the captured frame
        page.locator("#season-run").click()
        page.locator("#season-status").filter(has_text="summer → winter: ").wait_for(timeout=60_000)
        status = page.locator("#season-status").inner_text()
        browser.close()
    width, height = (int(v) for v in status.split(": ")[1].split(" ")[0].split("×"))
    assert width >= 320 and height >= 240  # a camera frame, translated at its own size


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
def test_an_error_clears_the_last_result_and_every_example_shows_without_paging(server, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright (dev extra)")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(server)
        page.get_by_role("tab", name="Object transfiguration").click()
        for domain in ("horse", "zebra", "apple", "orange"):  # all four directions' examples on one page
            assert page.locator("#tab-object").get_by_text(f"{domain} →").count() >= 1, domain
        page.locator("#object-input input[type=file]").set_input_files(str(app.EXAMPLES / "horse_1.jpg"))
        page.locator("#object-run").click()
        status = page.locator("#object-status")
        status.filter(has_text="horse → zebra: 256×256").wait_for(timeout=60_000)
        junk = tmp_path / "junk.png"
        junk.write_text("not a picture")
        page.locator("#object-input input[type=file]").set_input_files(str(junk))
        page.locator("#object-run").click()
        page.get_by_text("not an image this demo can read").first.wait_for(timeout=30_000)
        page.wait_for_function("() => !document.querySelector('#object-status').innerText.includes('256×256')",
                               timeout=30_000)
        page.screenshot(path=str(tmp_path / "after-error.png"), full_page=True)
        assert page.locator("#object-output img").count() == 0  # the last result is gone too
        browser.close()


def test_twenty_identical_requests_at_once_all_succeed(server, photo):
    """Identical results used to share one cache file that one response rewrote while another streamed it."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client, handle_file

    def one(_):
        client = Client(server, verbose=False)
        image, download, status = client.predict("horse → zebra", handle_file(str(photo)), api_name="/object")
        return Image.open(image).size, Image.open(download).size

    with ThreadPoolExecutor(20) as pool:
        sizes = list(pool.map(one, range(20)))
    assert sizes == [((70, 50), (70, 50))] * 20
