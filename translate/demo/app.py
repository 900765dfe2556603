"""The web demo: season transfer, object transfiguration and digit generation, in Gradio.

UI only. Every pixel goes through `translate.load()` (ImageTranslator / Sampler); the handlers below are
plain functions of (zoo, inputs) so tests can call them without a server. gradio is imported here and
nowhere else in the project; the command (translate/cli/demo.py) sets what gradio reads before it starts
(no analytics, no hub calls: the demo runs offline). Finding and loading models is zoo.py's.

    translate demo                       # http://127.0.0.1:7860
    translate demo --checkpoints ~/gan-weights --port 8080
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import gradio as gr
from PIL import Image, ImageOps

from translate.demo.zoo import TASKS, ModelZoo, Unavailable, published_name
from translate.errors import TranslateError

EXAMPLES = Path(__file__).resolve().parent / "examples"
DEFAULT_MAX_SIDE = 4096
NOT_AN_IMAGE = "That file is not an image this demo can read. Upload a PNG, JPEG, WebP, BMP or TIFF photo."

# example file prefix shown for each direction
EXAMPLE_DOMAIN = {"summer → winter": "summer", "winter → summer": "winter", "horse → zebra": "horse",
                  "zebra → horse": "zebra", "apple → orange": "apple", "orange → apple": "orange",
                  "labels → photo": "labels"}
DIGIT_MODELS = ("mnist_cgan", "digits_cgan")


def friendly(message: str) -> gr.Error:
    """An error the user reads in the page, as one sentence; the server's console gets no traceback for it."""
    return gr.Error(message, print_exception=False)


# -------------------------------------------------------------------------------------------- handlers
_RESULTS = tempfile.TemporaryDirectory(prefix="translate-demo-")  # removed when the process exits


def _result_path(stem: str, keep_s: float = 3600) -> str:
    """A fresh PNG path for a download; results older than an hour are deleted so disk use stays bounded."""
    folder = Path(_RESULTS.name)
    now = time.time()
    for old in folder.glob("*.png"):
        if now - old.stat().st_mtime > keep_s:
            old.unlink(missing_ok=True)
    fd, path = tempfile.mkstemp(prefix=stem + "-", suffix=".png", dir=folder)
    os.close(fd)
    return path


def _open_upload(image) -> Image.Image:
    if image is None:
        raise friendly("Upload an image first (or click one of the examples).")
    if isinstance(image, (str, Path)):
        try:
            with Image.open(image) as im:
                im.load()
                return ImageOps.exif_transpose(im)
        except (OSError, ValueError, Image.DecompressionBombError):
            raise friendly(NOT_AN_IMAGE) from None
    return image


def _input_half(img: Image.Image, config: dict) -> tuple[Image.Image, list[str]]:
    """A paired model's data sets ship each example as one side-by-side image (A | B). Uploaded as is, such a
    file would be translated whole, a meaningless picture: the half the model takes as input is used instead,
    and the status line says so."""
    from translate.registry import MODELS

    model = config.get("model")
    paired = model in MODELS and MODELS.info(model)["data_kinds"] == ("paired",)
    if not paired or abs(img.width - 2 * img.height) > 0.02 * img.width:
        return img, []
    right = config.get("train_direction") == "BtoA"  # the input was the B half, on the right
    half = img.width // 2
    img = img.crop((half, 0, img.width, img.height) if right else (0, 0, half, img.height))
    side = "right" if right else "left"
    return img, [f"a side-by-side pair (A | B, as the data set ships): translated its {side} half, the input side"]


def _by_path(outputs: tuple):
    """(image, path, status) -> (path, path, status) for the page: Gradio caches a returned PIL image under a
    name of its own, which identical results of concurrent requests share (one response rewrote the file
    while another streamed it); the result's own file has a name no other request uses."""
    _, path, status = outputs
    return path, path, status


def translate_image(zoo: ModelZoo, task: str, direction: str, image, max_side: int = DEFAULT_MAX_SIDE):
    """-> (result image, path of the full-resolution PNG, a status line)."""
    candidates = TASKS[task].get(direction)
    if candidates is None:
        raise friendly(f"Unknown direction {direction!r}; choose one of: {', '.join(TASKS[task])}.")
    img = _open_upload(image)
    try:
        found = zoo.locate(candidates)
        translator = zoo.load(candidates, found)
    except Unavailable as e:
        raise friendly(str(e)) from None
    img, notes = _input_half(img, translator.config)
    start = time.perf_counter()
    result = translator(img, max_side=max_side)  # the translator downsizes, as `translate convert --size` does
    took = time.perf_counter() - start
    if result.size != img.size:
        notes.append(f"downscaled from {img.width}×{img.height} to {result.width}×{result.height} "
                     f"(limit {max_side} px)")
    out_path = _result_path(direction.split(" ")[-1])
    result.save(out_path)
    from translate.device import device_name

    status = f"{direction}: {result.width}×{result.height} in {took:.2f} s on {device_name(translator.device)}"
    if translator.rescales(result.height, result.width):
        notes.append(f"translated at {translator.work_side} px (shorter side), the training scale, with the "
                     f"photo's finer detail put back")
    if translator.lattice:
        notes.append(f"the {translator.lattice}-pixel grid of the net's up-sampling taken out")
    status += "".join(f"; {n}" for n in notes) + f". Model: {zoo.describe(found)}."
    return result, out_path, status


def install_published_weights(zoo: ModelZoo, task: str, direction: str, image, max_side: int = DEFAULT_MAX_SIDE,
                              progress=None):
    """The "Use the published model" button: download, check and install the published weights of this
    direction into the per-user weights folder, then translate the current input with them (when there is
    one). -> (result image, full-resolution PNG, status line), as translate_image."""
    from translate.interop import published

    candidates = TASKS[task].get(direction)
    name = published_name(candidates) if candidates else None
    if name is None:
        raise friendly(f"No published model translates {direction}.")
    out = zoo.catalog.weights / name
    if published.installed(name, out):
        said = f"The published model {name} is installed ({out})"
    else:
        def report(done: int, total: int | None) -> None:
            if progress is not None:
                progress((done, total) if total else None, desc=f"downloading {name}", unit="bytes")

        try:
            published.install_published(name, out, quiet=True, progress=report)
        except TranslateError as e:
            raise friendly(f"Could not install the published model: {e}") from None
        said = f"Installed the published model {name} in {out}, checked (it loads and gives finite output)"
    if image is None:
        found = zoo.locate(candidates)
        return gr.skip(), gr.skip(), f"{said}. {direction} now uses: {zoo.describe(found)}. Upload a photo."
    result, path, status = translate_image(zoo, task, direction, image, max_side)
    return result, path, f"{said}. {status}"


def generate_digits(zoo: ModelZoo, digit: int | str, seed: int | float, steps: int = 8):
    """-> (a grid of 16 samples of the digit, an interpolation strip, a status line)."""
    from translate.data.transforms import grid_image

    try:
        sampler = zoo.load(tuple((n, "AtoB") for n in DIGIT_MODELS))
    except Unavailable:
        raise friendly("No digit generator installed: train one with `translate train --model cgan --data mnist` "
                       "and start the demo with `--checkpoints DIR` where DIR/mnist_cgan is its folder.") from None
    seed, steps = int(seed), int(steps)
    start = time.perf_counter()
    try:
        samples = sampler.sample(16, labels=digit, seed=seed)
        strip = sampler.interpolate(1, steps, seed=seed + 1, label=digit)
    except ValueError as e:
        raise friendly(str(e)) from None
    took = time.perf_counter() - start
    return (grid_image(samples, nrow=8, scale=3), grid_image(strip, nrow=steps, scale=3),
            f"digit {digit}, seed {seed}: 16 samples and a {steps}-step latent walk in {took:.2f} s")


def upload_image(**kwargs) -> gr.Image:
    """A gr.Image whose decoding failures reach the user as one friendly sentence instead of a traceback.
    (The method is replaced on the instance: a gr.Image subclass would make Gradio write a .pyi stub
    beside this file.)"""
    component = gr.Image(**kwargs)
    decode = component.preprocess

    def preprocess(payload):
        from translate.data.folders import ImageTooLarge, open_image
        from translate.errors import DataError

        path = getattr(payload, "path", None)
        if path:  # the pixel budget from the header, before Gradio decodes anything
            try:
                with open_image(Path(path)):
                    pass
            except ImageTooLarge as e:
                reason = str(e).split(": ", 1)[-1].split(";")[0]
                raise friendly(f"That image cannot be translated here: {reason}. Shrink it first.") from None
            except DataError:
                raise friendly(NOT_AN_IMAGE) from None
        try:
            return decode(payload)
        except gr.Error:
            raise
        except Exception:  # noqa: BLE001 - any decoding failure means the same thing to the user
            raise friendly(NOT_AN_IMAGE) from None

    component.preprocess = preprocess
    return component


# ------------------------------------------------------------------------------------------------- UI
def _translation_tab(zoo: ModelZoo, task: str, max_side: int) -> None:
    directions = list(TASKS[task])
    key = task.split()[0].lower()
    installed = [d for d in directions if zoo.find(TASKS[task][d])]
    if len(installed) < len(directions):
        missing = [d for d in directions if d not in installed]
        commands = ", ".join(f"`translate download-weights {published_name(TASKS[task][d])}`" for d in missing
                             if published_name(TASKS[task][d]))
        gr.Markdown(f"⚠️ **No weights installed for {', '.join(missing)}.** Press **Use the published model**, "
                    f"run {commands or 'translate download-weights'}, or start the demo with `--checkpoints DIR` "
                    f"(a folder of named checkpoint folders).", elem_id=f"{key}-missing")
    with gr.Row():
        direction = gr.Radio(directions, value=(installed or directions)[0], label="Direction",
                             elem_id=f"{key}-direction")
    with gr.Row(equal_height=True):
        source = upload_image(label="Input", type="pil", format="png", image_mode=None,
                              sources=["upload", "webcam", "clipboard"], elem_id=f"{key}-input", height=360)
        result = gr.Image(label="Output", type="pil", format="png", interactive=False, elem_id=f"{key}-output",
                          height=360, buttons=["download", "fullscreen"])
    with gr.Row():
        button = gr.Button("Translate", variant="primary", elem_id=f"{key}-run", scale=3)
        # the authors' weights for the chosen direction: downloaded once, checked, then used instead of the
        # small bundled model (the status line names the model every translation used)
        get_published = gr.Button("Use the published model", elem_id=f"{key}-published", scale=1)
    status = gr.Markdown(elem_id=f"{key}-status")
    download = gr.File(label="Full-resolution result (PNG)", elem_id=f"{key}-download")
    examples = [[str(p), d] for d in directions for p in sorted(EXAMPLES.glob(f"{EXAMPLE_DOMAIN[d]}_*.jpg"))]
    if examples:
        gr.Examples(examples, inputs=[source, direction], label="Examples (test photos, never trained on)",
                    examples_per_page=len(examples))  # every direction's examples without paging

    def clear():  # a new request first clears the last result and status, so an error never sits under them
        return None, None, ""

    button.click(clear, None, [result, download, status], queue=False, api_visibility="private").then(
        lambda d, im: _by_path(translate_image(zoo, task, d, im, max_side)), [direction, source],
        [result, download, status], api_name=key)

    def install(d, im, progress=gr.Progress()):  # noqa: B008 - Gradio's way of asking for a progress bar
        return _by_path(install_published_weights(zoo, task, d, im, max_side, progress))

    get_published.click(clear, None, [result, download, status], queue=False, api_visibility="private").then(
        install, [direction, source], [result, download, status], api_name=f"{key}_published")


def _generate_tab(zoo: ModelZoo) -> None:
    if zoo.find(tuple((n, "AtoB") for n in DIGIT_MODELS)) is None:
        gr.Markdown("⚠️ **Not installed:** no digit generator (`mnist_cgan`). Train one with "
                    "`translate train --model cgan --data mnist` and pass `--checkpoints DIR`.",
                    elem_id="generate-missing")
    with gr.Row():
        digit = gr.Dropdown([str(i) for i in range(10)], value="7", label="Digit", elem_id="generate-digit")
        seed = gr.Number(value=0, precision=0, label="Seed", elem_id="generate-seed")
        steps = gr.Slider(4, 16, value=8, step=1, label="Interpolation steps", elem_id="generate-steps")
    button = gr.Button("Generate", variant="primary", elem_id="generate-run")
    samples = gr.Image(label="16 samples", type="pil", format="png", interactive=False, elem_id="generate-samples")
    strip = gr.Image(label="Latent interpolation", type="pil", format="png", interactive=False,
                     elem_id="generate-strip")
    status = gr.Markdown(elem_id="generate-status")
    button.click(lambda d, s, n: generate_digits(zoo, d, s, n), [digit, seed, steps], [samples, strip, status],
                 api_name="generate")


def build_demo(zoo: ModelZoo | None = None, max_side: int = DEFAULT_MAX_SIDE) -> gr.Blocks:
    zoo = zoo or ModelZoo()
    # Gradio keeps every upload and result in its temporary folder: files older than an hour go every ten
    # minutes, and all of them when the server stops
    with gr.Blocks(title="translate: image-to-image translation demo", analytics_enabled=False,
                   delete_cache=(600, 3600)) as demo:
        gr.Markdown("# translate\nImage-to-image translation (CycleGAN, pix2pix) on your machine. Pick a tab, "
                    "upload a photo or click an example, choose the direction, press **Translate**. Images of any "
                    f"size come back at their own resolution (longer side capped at {max_side} px); the CycleGAN "
                    "models see them at the scale they were trained at and keep the photo's own fine detail.")
        for task in TASKS:
            with gr.Tab(task, elem_id=f"tab-{task.split()[0].lower()}"):
                _translation_tab(zoo, task, max_side)
        with gr.Tab("Generate", elem_id="tab-generate"):
            _generate_tab(zoo)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, checkpoints: list[str] | None = None, share: bool = False,
           max_side: int = DEFAULT_MAX_SIDE, concurrency: int = 2, block: bool = True, seed: int = 0,
           max_upload_mb: float = 100) -> gr.Blocks:
    """Start the server. `concurrency` bounds how many translations run at once (each holds a net's
    activations in memory); further requests wait in a queue of at most 32."""
    demo = build_demo(ModelZoo([Path(c) for c in checkpoints or []], seed=seed), max_side)
    demo.queue(default_concurrency_limit=concurrency, max_size=32)
    demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=not block,
                ssr_mode=False, allowed_paths=[str(EXAMPLES)], max_file_size=int(max_upload_mb * 2**20))
    return demo
