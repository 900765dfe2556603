"""`ImageTranslator`: one generator of a pix2pix, CycleGAN, CUT or FastCUT bundle, loaded once, translating
images of any size and kind (translate/inference/images.py prepares them and sets the work scale)."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import torch
from torch import Tensor

from translate.config import Direction
from translate.data.transforms import to_uint8
from translate.device import dtype_name, resolve_device
from translate.errors import CheckpointError
from translate.inference.degrid import lattice_period, remove_lattice
from translate.inference.images import Prepared, at_work_scale, finish, prepare, work_side
from translate.inference.resample import as_float
from translate.nets.spec import build_net
from translate.storage.catalog import resolve_checkpoint
from translate.storage.checkpoint import load_checkpoint, load_into, net_tensors

# held while a forward pass draws from torch's global random generator (test-time dropout)
_GLOBAL_RNG = threading.Lock()


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
    (see translate/inference/tiling.py), so memory stays bounded. `precision` is fp32 (the CPU default), bf16 or
    fp16 (autocast; the CUDA default is bf16). `channels_last` and `compile` (torch.compile with weight
    freezing) are speed options whose output matches the plain path within float rounding. `winograd`
    (default: on for fp32 on the CPU) runs 3x3 stride-1 convolutions as Winograd F(4x4, 3x3)
    (translate/accel/winograd.py): 4x fewer multiplications there, output within ~1e-4 of the direct
    convolution; cuDNN picks its own algorithms on GPUs, so it stays off there. `narrow_channels_last`
    (same default) runs convolutions with 1-8 output channels, such as a ResNet generator's last layer, on
    channels-last tensors, where oneDNN's CPU kernel is faster (translate/accel/narrow_conv.py). Both False
    give the plain network; docs/performance.md has the measured figures.

    `degrid` takes the grid of the generator's up-sampling lattice out of its change to the image
    (translate/inference/degrid.py); None follows the bundle's `degrid` (the bundled CPU models set it;
    published weights do not, so they give the official output).
    """

    def __init__(self, config: dict, tensors: dict[str, Tensor], direction: Direction = "AtoB", device: str = "auto",
                 where: str = "", precision: str = "auto", tile: int | None = None, tile_overlap: int = 128,
                 channels_last: bool = False, compile: bool = False, winograd: bool | None = None,
                 narrow_channels_last: bool | None = None, seed: int = 0, eval_mode: bool = False,
                 scale: str | int = "auto", degrid: bool | None = None):
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
        degrid = config.get("degrid", False) if degrid is None else degrid
        self.lattice = lattice_period(config["nets"][name], where or "checkpoint") if degrid else None
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
    def from_pretrained(cls, path: str | Path, direction: Direction = "AtoB", device: str = "auto",
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
                    y = torch.cat([self._seeded(forward, x[i:i + 1]) for i in range(len(x))])
            else:
                y = forward(x)
        # here, where the input is padded to the net's multiple, the lattice starts at the corner
        return y if self.lattice is None else remove_lattice(y, x, self.lattice)

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

    @torch.inference_mode()
    def translate_uint8(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) uint8 pixels (what `prepare` gives) or floats in [-1, 1] -> uint8 (N, C_out, H, W),
        what images and files are made of. A photo translated at the work scale is built strip by strip
        (`at_work_scale`) and one in tiles band by band (`run_tiled`), each converted from uint8 as it is
        read and to uint8 as it is written: a 120-megapixel photo never exists as floats."""
        if self.rescales(*x.shape[-2:]):
            out = torch.empty(x.shape[0], self.out_channels, *x.shape[-2:], dtype=torch.uint8)
            return at_work_scale(self._translate_native, x.cpu(), self.work_side, out)
        if self.tile and len(x) == 1 and max(x.shape[-2:]) > self.tile:
            from translate.inference.tiling import run_tiled

            out = torch.empty(1, self.out_channels, *x.shape[-2:], dtype=torch.uint8)
            return run_tiled(self.G, x, lambda t: self._padded(as_float(t), self.G), self.tile, self.tile_overlap,
                             multiple=self.multiple, out=out)
        return to_uint8(self._translate_native(as_float(x)))

    def _translate_native(self, x: Tensor) -> Tensor:
        """translate_tensor at the input's own resolution, tiled if asked."""
        from translate.inference.tiling import run_tiled

        if self.tile and max(x.shape[-2:]) > self.tile:
            # the eager net: tiling swaps the norm layers' forward, which a compiled graph would not see
            y = torch.cat([run_tiled(self.G, x[i:i + 1], lambda t: self._padded(t, self.G), self.tile,
                                     self.tile_overlap, multiple=self.multiple) for i in range(len(x))])
        else:
            y = self._padded(x)
        return y.float().cpu()

    def _padded(self, x: Tensor, forward=None) -> Tensor:
        """`_run` on any H and W: padded to the net's multiple, the result cropped back. A tile needs this
        only where it spans a whole side shorter than the tile."""
        import torch.nn.functional as F

        h, w = x.shape[-2:]
        # a side of at least 8: below, the bottleneck of a ResNet G (multiple 4) is 1x1, where instance norm
        # and its reflection padding have nothing to work on (1x1, 3x3 and 1x5000 inputs failed there)
        least = max(self.multiple, 8)
        ph, pw = max(-h % self.multiple, least - h), max(-w % self.multiple, least - w)
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"  # reflect needs the pad < the side
            x = F.pad(x.float(), (0, pw, 0, ph), mode=mode)
        return self._run(x, forward)[..., :h, :w]

    # ------------------------------------------------------------------------------------ images
    def prepare(self, image, max_side: int | None = None) -> Prepared:
        """PIL image or NumPy uint8 array -> the net's input and what `finish` needs (thread-safe)."""
        return prepare(image, self.in_channels, max_side)

    def finish(self, y: Tensor, prep: Prepared):
        """The net's output (C_out, H, W) -> an image of the input's kind, mode and alpha (thread-safe)."""
        return finish(y, prep)

    def __call__(self, images, max_side: int | None = None):
        if isinstance(images, (list, tuple)):
            return [self(im, max_side) for im in images]
        if isinstance(images, Tensor):
            x = images if images.dim() == 4 else images.unsqueeze(0)
            y = self.translate_tensor(x)
            return y if images.dim() == 4 else y[0]
        prep = self.prepare(images, max_side)
        return self.finish(self.translate_uint8(prep.x[None])[0], prep)

