"""Inference from a bundle or run folder, with no training code involved.

`load(path)` reads config.json (or a run's newest state) and rebuilds the exported nets from their
registry names and constructor arguments. For noise -> sample models it returns a `Sampler`, for
pix2pix / CycleGAN (trained or imported) an `ImageTranslator`.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from translate.catalog import resolve_checkpoint
from translate.checkpoint import load_checkpoint, load_into, net_tensors
from translate.config import LOAD_PER_CROP
from translate.data.transforms import to_tensor, to_uint8
from translate.device import dtype_name, resolve_device
from translate.errors import CheckpointError, OptionError
from translate.nets.spec import build_net

# held while a forward pass draws from torch's global random generator (test-time dropout)
_GLOBAL_RNG = threading.Lock()


class Sampler:
    """Draws samples from a trained generator.

    `sample(n)` -> (n, C, H, W) float in [-1, 1] for image models, (n, 2) coordinates for points.
    Conditional models take `labels`: class indices or names (one per sample, or one for all).
    """

    def __init__(self, config: dict, tensors: dict[str, Tensor], device: str = "auto", where: str = "",
                 reject_stretch: float = 0.0):
        if not 0 <= reject_stretch < 1:
            raise OptionError(f"reject_stretch is the share of latent codes to drop, in [0, 1); got {reject_stretch}")
        self.reject_stretch = reject_stretch
        self.config = config
        self.device = resolve_device(device)
        self.z_dim = int(config["z_dim"])
        self.class_names: list[str] = list(config.get("class_names", []))
        self.output = config["output"]
        self.sample_shape = tuple(config["sample_shape"])
        self.G = build_net(config["nets"]["G"], where=where or "checkpoint")
        load_into(self.G, net_tensors(tensors, "G"), where)
        self.G.to(self.device).eval().requires_grad_(False)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "auto", reject_stretch: float = 0.0) -> Sampler:
        config, tensors = load_checkpoint(resolve_checkpoint(path))
        if config.get("kind") != "sampler":
            raise CheckpointError(f"{path} holds a {config.get('model')!r} model, which translates images; "
                                  f"it cannot sample from noise")
        return cls(config, tensors, device, str(path), reject_stretch)

    @property
    def conditional(self) -> bool:
        return bool(self.class_names)

    def label_index(self, label: int | str) -> int:
        if isinstance(label, str) and label in self.class_names:
            return self.class_names.index(label)
        try:
            i = int(label)
        except ValueError:
            i = -1
        if not 0 <= i < len(self.class_names):
            raise OptionError(f"unknown label {label!r}; this model knows {', '.join(self.class_names)}")
        return i

    def noise(self, n: int, seed: int | None = None) -> Tensor:
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.z_dim, generator=g)

    @torch.inference_mode()
    def generate(self, z: Tensor, labels: Tensor | None = None, batch_size: int = 500) -> Tensor:
        """Generator outputs for latent codes z (N, z_dim) [and label indices (N,)], on the CPU."""
        if self.conditional and labels is None:
            raise OptionError(f"this model is class-conditional: pass labels ({', '.join(self.class_names)})")
        outs = []
        for i in range(0, len(z), batch_size):
            zb = z[i:i + batch_size].to(self.device)
            args = (labels[i:i + batch_size].to(self.device),) if self.conditional else ()
            outs.append(self.G(zb, *args).float().reshape(len(zb), *self.sample_shape).cpu())
        return torch.cat(outs)

    def sample(self, n: int, labels=None, seed: int | None = None) -> Tensor:
        """n samples; with `reject_stretch` Q > 0, the n least-stretched of n / (1 - Q) draws (see
        `latent_stretch`), in the order they were drawn."""
        if not self.reject_stretch:
            return self.generate(self.noise(n, seed), self.labels_for(labels, n, seed))
        if labels is not None and not isinstance(labels, (int, str)):
            raise OptionError("with reject_stretch, pass one label for all samples (or none)")
        pool = math.ceil(n / (1 - self.reject_stretch))
        z, drawn = self.noise(pool, seed), self.labels_for(labels, pool, seed)
        stretch = latent_stretch(self.G, z.to(self.device), None if drawn is None else drawn.to(self.device))
        keep = torch.argsort(stretch.cpu(), stable=True)[:n].sort().values
        return self.generate(z[keep], None if drawn is None else drawn[keep])

    def labels_for(self, labels, n: int, seed: int | None = None) -> Tensor | None:
        if not self.conditional:
            if labels is not None:
                raise OptionError("this model is unconditional; it takes no labels")
            return None
        if labels is None:  # uniform over classes, reproducible with the seed
            g = torch.Generator().manual_seed((seed or 0) + 1)
            return torch.randint(len(self.class_names), (n,), generator=g)
        if isinstance(labels, (int, str)):
            return torch.full((n,), self.label_index(labels), dtype=torch.long)
        return torch.tensor([self.label_index(v) for v in labels], dtype=torch.long)

    def interpolate(self, rows: int, steps: int = 8, seed: int | None = None, label=None) -> Tensor:
        """Radford et al. 2016, section 6.1: linear walks between random latent pairs, one per row.
        Returns (rows * steps, ...) ordered row by row."""
        ends = self.noise(2 * rows, seed).reshape(rows, 2, self.z_dim)
        t = torch.linspace(0, 1, steps)[None, :, None]
        z = (ends[:, :1] * (1 - t) + ends[:, 1:] * t).reshape(rows * steps, self.z_dim)
        labels = None
        if self.conditional:
            per_row = self.labels_for(label if label is not None else None, rows, seed)
            labels = per_row.repeat_interleave(steps)
        return self.generate(z, labels)

    def arithmetic(self, expression: str, n: int = 64, seed: int | None = 0, label=None, nearby: int = 8,
                   jitter: float = 0.25) -> dict:
        """Latent vector arithmetic (Radford et al. 2016, section 6.3) on a seeded grid of `n` samples.

        `expression` combines groups of grid indices with + and -, e.g. "3,17,42 - 5,9,11 + 20,21,30": each
        group's latent vectors are averaged (the paper averages three exemplars, because single ones are
        unstable), and the signed means are summed. Returns the grid's latents `z`, each group's indices,
        sign and mean, the result vector, and images: `grid`, `group_images` (exemplars then their mean, per
        group), `result` and `nearby` (the result plus uniform noise of +-`jitter`, as in the paper)."""
        groups = parse_arithmetic(expression, n)
        z = self.noise(n, seed)
        labels = self.labels_for(label, n, seed) if self.conditional else None
        means = [z[idx].mean(0) for _, idx in groups]
        result = sum((sign * m for (sign, _), m in zip(groups, means)), torch.zeros(self.z_dim))
        g = torch.Generator().manual_seed((seed or 0) + 2)
        around = result + (torch.rand(nearby, self.z_dim, generator=g) * 2 - 1) * jitter
        one = None if labels is None else labels[:1]

        def draw(codes: Tensor) -> Tensor:
            return self.generate(codes, None if one is None else one.expand(len(codes)))

        return {"z": z, "groups": [(sign, idx, m) for (sign, idx), m in zip(groups, means)], "result_z": result,
                "grid": self.generate(z, labels),
                "group_images": [torch.cat([self.generate(z[idx], None if labels is None else labels[idx]),
                                            draw(m[None])]) for (_, idx), m in zip(groups, means)],
                "result": draw(result[None]), "nearby": draw(around)}

    @staticmethod
    def to_uint8(images: Tensor) -> Tensor:
        return to_uint8(images)


def parse_arithmetic(expression: str, n: int) -> list[tuple[int, list[int]]]:
    """"3,17,42 - 5,9,11 + 20,21,30" -> [(1, [3, 17, 42]), (-1, [5, 9, 11]), (1, [20, 21, 30])]."""
    import re

    text = expression.replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+(,\d+)*([+-]\d+(,\d+)*)*", text):
        raise OptionError(f"`arithmetic` {expression!r}: write groups of grid indices joined by + and -, e.g. "
                          f"\"3,17,42 - 5,9,11 + 20,21,30\"")
    groups = []
    for sign, body in re.findall(r"([+-]?)([\d,]+)", text):
        idx = [int(i) for i in body.split(",")]
        bad = [i for i in idx if i >= n]
        if bad:
            raise OptionError(f"`arithmetic`: index {bad[0]} is outside the grid of {n} samples (0-{n - 1}); "
                              f"raise `n` or pick smaller indices")
        groups.append((-1 if sign == "-" else 1, idx))
    return groups


def latent_stretch(G: torch.nn.Module, z: Tensor, labels: Tensor | None = None, probes: int = 8,
                   batch_size: int = 500) -> Tensor:
    """(N,) Frobenius norm of the Jacobian of G at each latent code: how far the output moves for a small
    step in z. A continuous G must cross the empty space between separated modes somewhere in its latent
    space, and there it stretches: Tanielian et al. 2020 ("Learning disconnected manifolds: a no GAN's
    land") reject the most stretched codes. Exact (one forward-mode JVP per latent dimension) when z has
    at most `probes` dimensions, otherwise Hutchinson's estimate E||J v||^2 = ||J||_F^2 from `probes`
    fixed random directions v ~ N(0, I). G must treat samples independently (eval mode)."""
    import warnings

    from torch.func import jvp

    d = z.shape[1]
    exact = d <= probes
    dirs = torch.eye(d) if exact else torch.randn(probes, d, generator=torch.Generator().manual_seed(0))
    dirs = dirs.to(z.device, z.dtype)
    out = []
    with warnings.catch_warnings():  # functorch's first call trips a torch.jit deprecation warning
        warnings.simplefilter("ignore", FutureWarning)
        for i in range(0, len(z), batch_size):
            zb = z[i:i + batch_size]
            args = () if labels is None else (labels[i:i + batch_size],)
            sq = torch.zeros(len(zb), device=z.device)
            for v in dirs:
                _, tangent = jvp(lambda x, args=args: G(x, *args), (zb,), (v.expand_as(zb),))
                sq += tangent.float().flatten(1).pow(2).sum(1)
            out.append((sq if exact else sq / len(dirs)).sqrt())
    return torch.cat(out)


IMAGE_TYPES = ("PIL.Image", "numpy uint8 (H, W[, C])", "tensor (C, H, W) or (N, C, H, W) in [-1, 1]")


@dataclass
class Prepared:
    """An image made ready for the net, and what is needed to give the result the input's form."""

    x: Tensor  # (C_in, H, W) float in [-1, 1]
    alpha: object = None  # PIL "L" image of the input's alpha channel, put back untouched
    gray: bool = False
    as_array: bool = False
    icc_profile: bytes | None = None
    source: object = None  # the input as the net saw it (after EXIF and max_side), for side-by-side views


class ImageTranslator:
    """Translates images with one generator of a pix2pix / CycleGAN checkpoint, loaded once.

    `translator(image)` takes a PIL image, a NumPy (H, W[, C]) uint8 array, a tensor (C, H, W) or
    (N, C, H, W) in [-1, 1], or a list of those, and returns the same kind at the same size. Any size
    works: the image is reflect-padded to the net's multiple (4 for ResNet generators, 2**downs for
    U-Nets) and cropped back. EXIF orientation is applied, an alpha channel is kept untouched, and
    grayscale comes back grayscale. `max_side` first shrinks the longer side to at most that many pixels.
    `scale` is the resolution the net works at (`work_side`): by default CycleGAN and CUT nets translate a
    photo with its shorter side at their training crop size, as the official test.py does, and the input's
    finer detail is put back on the upsampled result (`at_work_scale`); "native" runs the net on every pixel.
    BatchNorm generators (pix2pix) follow the paper's test-time protocol by default, as the official
    test.py does: each image's own statistics and dropout on (its only noise); every image is translated
    with the dropout masks of `seed`, so the same call gives the same pixels. `eval_mode=True` is the
    official `--eval`: running statistics, dropout off (deterministic without a seed).

    `tile=N` runs images with a side longer than N pixels in overlapping N-pixel tiles with blended seams
    (see translate/tiling.py), so memory stays bounded. `precision` is fp32 (the CPU default), bf16 or
    fp16 (autocast; the CUDA default is bf16). `channels_last` and `compile` (torch.compile with weight
    freezing) are speed options whose output matches the plain path within float rounding. `winograd`
    (default: on for fp32 on the CPU) runs 3x3 stride-1 convolutions as Winograd F(4x4, 3x3)
    (translate/accel/winograd.py): 4x fewer multiplications there, output within ~1e-4 of the direct
    convolution; cuDNN picks its own algorithms on GPUs, so it stays off there. `narrow_channels_last`
    (same default) runs convolutions with 1-8 output channels, such as a ResNet generator's last layer, on
    channels-last tensors, where oneDNN's CPU kernel is faster (translate/accel/narrow_conv.py). Both False
    give the plain network; docs/performance.md has the measured figures.
    """

    def __init__(self, config: dict, tensors: dict[str, Tensor], direction: str = "AtoB", device: str = "auto",
                 where: str = "", precision: str = "auto", tile: int | None = None, tile_overlap: int = 128,
                 channels_last: bool = False, compile: bool = False, winograd: bool | None = None,
                 narrow_channels_last: bool | None = None, seed: int = 0, eval_mode: bool = False,
                 scale: str | int = "auto"):
        directions = config.get("directions", {})
        if direction not in directions:
            hint = ""
            if isinstance(config.get("published"), dict) and len(directions) == 1:
                hint = ("; a published generator translates one way: install the other direction's weights "
                        "(`translate list` names them), or add `:bundled` to the name for the bundled model")
            raise CheckpointError(f"{where} translates {', '.join(directions) or 'nothing'}; no {direction!r}{hint}")
        name = directions[direction]
        self.config, self.direction, self.device = config, direction, resolve_device(device)
        self.multiple = int(config.get("multiple", 4))
        self.tile, self.tile_overlap = tile, tile_overlap
        self.seed, self.eval_mode = int(seed), bool(eval_mode)
        self.work_side = work_side(config, scale)
        self.batch_stats = config.get("norm") == "batch" and not self.eval_mode
        kw = config["nets"][name]["kwargs"]
        self.in_channels, self.out_channels = int(kw.get("in_channels", 3)), int(kw.get("out_channels", 3))
        self.G = build_net(config["nets"][name], where=where or "checkpoint")
        load_into(self.G, net_tensors(tensors, name), where)
        self.G.to(self.device).train(self.batch_stats).requires_grad_(False)
        # dropout active at test time (pix2pix's protocol): its masks come from `seed`, image by image
        self.random = self.batch_stats and any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in self.G.modules())
        from translate.accel import accelerate

        # precision auto and the speed paths left to auto are timed on this machine at the working scale (a
        # photo's shorter side; 256 px for nets that run at the input's own resolution), once per machine
        choice, switched = accelerate(
            self.G, self.device, precision, training=False, winograd="auto" if winograd is None else winograd,
            narrow=narrow_channels_last, compiled=compile, channels_last=channels_last,
            shape=(1, self.in_channels, *(2 * [self.work_side or 256])))
        self.autocast_dtype, self.precision_reason = choice.dtype, choice.reason
        if self.autocast_dtype is not None:
            from translate.accel.autotune import precast_weights

            precast_weights(self.G, self.autocast_dtype)
        self.winograd_layers = switched["winograd"]
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.G.to(memory_format=self.memory_format)
        self.forward = self.G
        if compile:
            # Freezing folds the weights into the graph as constants (prepacked for oneDNN on the CPU);
            # only valid because these weights never change after loading.
            import torch._inductor.config as inductor_config

            inductor_config.freezing = True
            self.forward = torch.compile(self.G, dynamic=False)

    @classmethod
    def from_pretrained(cls, path: str | Path, direction: str = "AtoB", device: str = "auto",
                        **options) -> ImageTranslator:
        config, tensors = load_checkpoint(resolve_checkpoint(path))
        if config.get("kind") != "translator":
            raise CheckpointError(f"{path} holds a {config.get('model')!r} model, which samples from noise; "
                                  f"it does not translate images")
        return cls(config, tensors, direction, device, str(path), **options)

    # ----------------------------------------------------------------------------------- tensors
    def _run(self, x: Tensor, forward=None) -> Tensor:
        """One net call on a padded batch, in the chosen precision and memory format."""
        from translate.nets.layers import frozen_batchnorm_stats

        forward = forward or self.forward
        x = x.to(self.device, torch.float32).contiguous(memory_format=self.memory_format)
        amp = (torch.autocast(self.device.type, dtype=self.autocast_dtype) if self.autocast_dtype
               else contextlib.nullcontext())
        with amp:
            if self.batch_stats:  # per-image statistics, running statistics untouched
                with frozen_batchnorm_stats(self.G):
                    return torch.cat([self._seeded(forward, x[i:i + 1]) for i in range(len(x))])
            return forward(x)

    def _seeded(self, forward, x: Tensor) -> Tensor:
        """One image through a net with test-time dropout: the masks of `seed`, the caller's RNG untouched."""
        if not self.random:
            return forward(x)
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        # nn.Dropout draws from the process's global generator: one seeded forward at a time, or two threads
        # (the demo's concurrent requests) would draw each other's masks
        with _GLOBAL_RNG, torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed)
            return forward(x)

    @property
    def precision_name(self) -> str:
        """"fp32" or "bf16 autocast": what the net runs in."""
        return "fp32" if self.autocast_dtype is None else f"{dtype_name(self.autocast_dtype)} autocast"

    @property
    def protocol(self) -> str:
        """Which test-time protocol runs, in words (for logs and status lines)."""
        if self.config.get("norm") != "batch":
            return "instance norm: deterministic"
        if self.eval_mode:
            return "--eval: running BatchNorm statistics, dropout off"
        dropout = f", dropout on with seed {self.seed}" if self.random else ""
        return f"paper protocol: per-image BatchNorm statistics{dropout}"

    @property
    def scale_note(self) -> str:
        """The work scale, in words (for logs and status lines)."""
        if not self.work_side:
            return "native: each image is translated at its own resolution"
        return (f"work side {self.work_side} px: larger images are translated with their shorter side at "
                f"{self.work_side} px, upsampled, and their own finer detail put back (--scale native: full "
                f"resolution)")

    def rescales(self, height: int, width: int) -> bool:
        """Whether an image of this size is translated at the work side rather than its own resolution."""
        return bool(self.work_side) and min(height, width) > self.work_side

    @torch.inference_mode()
    def translate_tensor(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) in [-1, 1] -> (N, C_out, H, W) in [-1, 1] float32 on the CPU, any H and W.
        With a work side (`scale`), an input whose shorter side is longer is translated at that side and
        brought back with its own fine detail (`at_work_scale`)."""
        if self.rescales(*x.shape[-2:]):
            return at_work_scale(self._translate_native, x.float().cpu(), self.work_side)
        return self._translate_native(x)

    def _translate_native(self, x: Tensor) -> Tensor:
        """translate_tensor at the input's own resolution: padded to the net's multiple, tiled if asked."""
        import torch.nn.functional as F

        from translate.tiling import run_tiled

        h, w = x.shape[-2:]
        # a side of at least 8: below, the bottleneck of a ResNet G (multiple 4) is 1x1, where instance norm
        # and its reflection padding have nothing to work on (1x1, 3x3 and 1x5000 inputs failed there)
        least = max(self.multiple, 8)
        ph, pw = max(-h % self.multiple, least - h), max(-w % self.multiple, least - w)
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"  # reflect needs the pad < the side
            x = F.pad(x.float(), (0, pw, 0, ph), mode=mode)
        if self.tile and max(x.shape[-2:]) > self.tile:
            # the eager net: tiling swaps the norm layers' forward, which a compiled graph would not see
            y = torch.cat([run_tiled(self.G, x[i:i + 1], lambda t: self._run(t, self.G), self.tile,
                                     self.tile_overlap, multiple=self.multiple) for i in range(len(x))])
        else:
            y = self._run(x)
        return y[..., :h, :w].float().cpu()

    # ------------------------------------------------------------------------------------ images
    def prepare(self, image, max_side: int | None = None) -> Prepared:
        """PIL image or NumPy uint8 array -> the net's input and what `finish` needs (thread-safe)."""
        import numpy as np
        from PIL import Image, ImageOps

        as_array = isinstance(image, np.ndarray)
        if as_array:
            if image.dtype != np.uint8:
                raise TypeError(f"expected a uint8 array, got {image.dtype}")
            img = Image.fromarray(image)
        elif isinstance(image, Image.Image):
            img = ImageOps.exif_transpose(image)
        else:
            raise TypeError(f"cannot translate a {type(image).__name__}; pass one of: {'; '.join(IMAGE_TYPES)}")
        if max_side and max(img.size) > max_side:
            s = max_side / max(img.size)
            img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.BICUBIC)
        alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
        gray = img.mode in ("L", "LA", "1", "I", "I;16", "I;16B", "I;16L", "F")
        if img.mode.startswith("I") or img.mode == "F":  # 16-bit, 32-bit or float grayscale -> 8 bits
            from translate.data.folders import to_8bit

            img = to_8bit(img)
        elif img.mode == "P" and "transparency" in img.info:
            img = img.convert("RGBA")
            alpha = img.getchannel("A")
        pixels = np.array(img.convert("RGB" if self.in_channels == 3 else "L"))  # a writable copy
        x = to_tensor(pixels.reshape(*pixels.shape[:2], -1))
        return Prepared(x, alpha, gray, as_array, img.info.get("icc_profile"), img)

    def finish(self, y: Tensor, prep: Prepared):
        """The net's output (C_out, H, W) -> an image of the input's kind, mode and alpha (thread-safe)."""
        import numpy as np
        from PIL import Image

        arr = to_uint8(y).permute(1, 2, 0).numpy()
        out = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
        if prep.gray and out.mode != "L":
            out = out.convert("L")
        if prep.alpha is not None:
            out = out.convert("LA" if out.mode == "L" else "RGBA")
            out.putalpha(prep.alpha)
        return np.asarray(out) if prep.as_array else out

    def __call__(self, images, max_side: int | None = None):
        if isinstance(images, (list, tuple)):
            return [self(im, max_side) for im in images]
        if isinstance(images, Tensor):
            x = images if images.dim() == 4 else images.unsqueeze(0)
            y = self.translate_tensor(x)
            return y if images.dim() == 4 else y[0]
        prep = self.prepare(images, max_side)
        return self.finish(self.translate_tensor(prep.x[None])[0], prep)


# Models whose translation changes texture and colour over a whole photo, and which the official code
# always runs at its crop size (test.py resizes every photo to it); pix2pix maps a layout to a photo
# pixel for pixel and keeps the input's resolution.
WORK_SCALE_MODELS = ("cyclegan", "cut", "fastcut")
SCALES = ("auto", "train", "native")


def work_side(config: dict, scale: str | int = "auto") -> int:
    """The shorter side a translator works at, or 0 for the input's own resolution.

    "train": the scale at which the net learned what a horse and a stripe look like. The official test.py
    resizes photos to the crop size, 256/286 of the side they had in training (`train_frame`, the load
    size of resize_and_crop); that ratio is kept, so a standard recipe works at its crop size (`train_size`,
    also what bundles from before `train_frame` was recorded give) and a recipe that cropped 128 px from
    photos loaded at 256 works at 229. Measured on the 128 px horse2zebra and summer2winter bundles, the
    crop size scored above the load size in all four directions (docs/convert.md). "native": the input's
    resolution; an int: that side; "auto" (default): "train" for unpaired models (WORK_SCALE_MODELS) whose
    channels go in and out unchanged, else "native".
    """
    if isinstance(scale, int) or str(scale).isdigit():
        side = int(scale)
        if side == 0:  # the "no work side" of the return value
            return 0
        if side < 8:
            raise OptionError(f"`scale` {side}: a work side below 8 pixels leaves the net nothing to see")
        return side
    if scale not in SCALES:
        raise OptionError(f"`scale` {scale!r}: use one of {', '.join(SCALES)} or a side in pixels")
    if scale == "auto":
        same = config.get("in_channels", 3) == config.get("out_channels", 3)
        scale = "train" if config.get("model") in WORK_SCALE_MODELS and same else "native"
    if scale == "native":
        return 0
    frame = int(config.get("train_frame") or 0)
    return round(frame / LOAD_PER_CROP) if frame else int(config.get("train_size") or 0)


def at_work_scale(translate_fn, x: Tensor, side: int) -> Tensor:
    """Translate (N, C, H, W) at a shorter side of `side` and return it at H x W with the input's detail.

    The net sees the photo at the scale it was trained on, so a horse is as many pixels wide as in its
    training crops and the stripes it paints have the width it learned (run at 256 px, a 128 px model
    painted a fine stripe texture over the whole frame instead). The translation is then upsampled, and
    the frequencies above the work scale (fur, grass blades, the sharpness of edges) come back from the
    input: out = up(G(down(x))) + (x - up(down(x))). The colour and every pattern coarser than a few
    pixels at the work scale are the model's; only finer detail is the input's.
    """
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    s = side / min(h, w)
    small = (max(1, round(h * s)), max(1, round(w * s)))
    low = F.interpolate(x, size=small, mode="bicubic", align_corners=False, antialias=True)
    back = F.interpolate(low, size=(h, w), mode="bicubic", align_corners=False)
    y = F.interpolate(translate_fn(low), size=(h, w), mode="bicubic", align_corners=False)
    if y.shape[1] == x.shape[1]:
        y = y + (x - back)
    return y.clamp(-1, 1)


def load(path_or_name: str | Path, direction: str = "AtoB", device: str = "auto", precision: str = "auto",
         **options) -> Sampler | ImageTranslator:
    """Load a bundle or run folder, or a checkpoint by name (`horse2zebra`, `horse2zebra:bundled`; the naming
    rule is in translate/catalog.py), for inference: a `Sampler` for noise -> image models, an
    `ImageTranslator` (in `direction`) for pix2pix, CycleGAN, CUT and FastCUT checkpoints, trained or
    imported. `options` go to ImageTranslator (tile, tile_overlap, channels_last, compile, winograd)."""
    path = resolve_checkpoint(path_or_name)
    config, tensors = load_checkpoint(path)
    if config.get("kind") == "translator":
        return ImageTranslator(config, tensors, direction, device, str(path_or_name), precision, **options)
    return Sampler.from_pretrained(path, device=device)
