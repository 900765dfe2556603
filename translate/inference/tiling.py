"""Bounded-memory inference on very large images: overlapping tiles blended with linear ramps.

Why the normalisation statistics matter: CycleGAN's InstanceNorm (and pix2pix's BatchNorm, run with
each image's own statistics) normalise with the mean and variance of the whole input. Tiles that each
used their own statistics would differ in tone and show seams however well they were blended. So the
statistics of every such layer are first measured on the whole image and then every tile is normalised
with them. When the image has no more pixels than `stats_pixels` (by default those of one tile), tiled and
untiled outputs agree exactly wherever a pixel is farther from a tile border than the net's receptive
field, and within a small tolerance in the blended overlaps. Larger images are measured on a copy shrunk to
that many pixels, so the statistics pass needs no more memory than one tile (the tile size is the one knob
for memory), at the price of approximate statistics: shrinking removes fine detail, so deep layers see
different statistics, though far closer than each tile's own (docs/performance.md, "Tiling" has the errors
of each against the untiled result).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import Tensor, nn

from translate.inference import resample


def _uses_input_statistics(m: nn.Module) -> bool:
    if isinstance(m, nn.modules.instancenorm._InstanceNorm):
        return not (m.track_running_stats and not m.training)
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        return m.training or not m.track_running_stats
    return False


@contextlib.contextmanager
def global_norm_statistics(net: nn.Module, whole: Tensor, run: Callable[[Tensor], Tensor]):
    """Inside this context every input-statistics norm layer of `net` normalises with the per-channel
    mean and variance it saw while `run(whole)` ran; `whole` is one image (1, C, H, W)."""
    norms = [m for m in net.modules() if _uses_input_statistics(m)]
    stats: dict[nn.Module, tuple[Tensor, Tensor]] = {}

    def record(m, inputs, _output):
        x = inputs[0].float()
        stats[m] = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False))

    hooks = [m.register_forward_hook(record) for m in norms]
    try:
        run(whole)
    finally:
        for h in hooks:
            h.remove()

    def fixed(m: nn.Module, x: Tensor) -> Tensor:
        mean, var = (s.to(x.device, x.dtype)[None, :, None, None] for s in stats[m])
        y = (x - mean) * torch.rsqrt(var + m.eps)
        if m.affine:
            y = y * m.weight.to(x.dtype)[None, :, None, None] + m.bias.to(x.dtype)[None, :, None, None]
        return y

    for m in norms:  # an instance attribute shadows the class's forward; deleted on exit
        m.forward = lambda x, m=m: fixed(m, x)
    try:
        yield
    finally:
        for m in norms:
            del m.forward


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of `tile` pixels covering `length`, neighbours overlapping by >= `overlap`."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    return starts + [length - tile]


def _ramp(size: int, overlap: int, ramp_start: bool, ramp_end: bool) -> Tensor:
    """A tile's blending weight along one axis: at a side that meets another tile, 0 over the first
    quarter of the overlap (the pixels that the tile's own border padding disturbs most), then rising
    linearly to 1 over the next half; 1 elsewhere. Where two tiles overlap their weights sum to 1."""
    w = torch.ones(size)
    margin, rise = overlap // 4, overlap - 2 * (overlap // 4)
    if rise > 0:
        up = torch.cat([torch.zeros(margin), (torch.arange(rise, dtype=torch.float32) + 0.5) / rise])
        if ramp_start:
            w[:len(up)] = up
        if ramp_end:
            w[size - len(up):] = torch.minimum(w[size - len(up):], up.flip(0))
    return w


def run_tiled(net: nn.Module, x: Tensor, run: Callable[[Tensor], Tensor], tile: int, overlap: int,
              stats_pixels: int | None = None, multiple: int = 4, out: Tensor | None = None) -> Tensor:
    """`run` (a call of `net`) over one image x (1, C, H, W) in overlapping `tile`-pixel tiles. `run` gets
    slices of x, and for a large x its shrunken copy as floats in [-1, 1] (resample.resize), so x may be uint8.

    `tile` is rounded down to a multiple of `multiple`; a tile is smaller only where a side of x is, and `run`
    must take its size (the translator pads it to the net's multiple and crops the result). Returns
    (1, C', H, W) on x's device, float32; or, given `out` (uint8, on the CPU), fills it band by band: each
    row of tiles is blended in a band as wide as the image, and the rows no later tile touches go to `out`
    at once, so the float result never exists at the photo's size."""
    if x.shape[0] != 1:
        raise ValueError("run_tiled takes one image at a time")
    tile = max(multiple, tile // multiple * multiple)
    overlap = min(overlap, tile // 2)
    h, w = x.shape[-2:]
    whole, budget = x, stats_pixels or tile * tile
    if h * w > budget:  # statistics from a shrunken copy: memory stays bounded
        s = (budget / (h * w)) ** 0.5
        size = (max(multiple, round(h * s / multiple) * multiple), max(multiple, round(w * s / multiple) * multiple))
        whole = resample.resize(x, size, mode="area")  # strip by strip: x may be a photo's uint8 pixels
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    if out is not None:
        with global_norm_statistics(net, whole, run):
            return _tiled_into(out, x, run, ys, xs, tile, overlap)
    out = acc = None
    with global_norm_statistics(net, whole, run):
        for top in ys:
            for left in xs:
                th, tw = min(tile, h), min(tile, w)
                y = run(x[..., top:top + th, left:left + tw]).float()
                if out is None:
                    out = torch.zeros(1, y.shape[1], h, w, device=y.device)
                    acc = torch.zeros(1, 1, h, w, device=y.device)
                wy = _ramp(th, overlap, top > 0, top + th < h)
                wx = _ramp(tw, overlap, left > 0, left + tw < w)
                weight = (wy[:, None] * wx[None, :]).to(y.device)
                out[..., top:top + th, left:left + tw] += y * weight
                acc[..., top:top + th, left:left + tw] += weight
    return out / acc


def _tiled_into(out: Tensor, x: Tensor, run, ys: list[int], xs: list[int], tile: int, overlap: int) -> Tensor:
    """run_tiled's rows of tiles, blended in a band of rows and written to the uint8 `out` as they complete."""
    from translate.data.transforms import to_uint8

    h, w = x.shape[-2:]
    band = weights = None  # the blend of rows [lo, lo + band height), carried over from the previous row
    for i, top in enumerate(ys):
        th = min(tile, h)
        fresh, fresh_w = torch.zeros(1, out.shape[1], th, w), torch.zeros(1, 1, th, w)
        if band is not None:  # the previous row's overlap with this one
            carried = band.shape[-2]
            fresh[..., :carried, :], fresh_w[..., :carried, :] = band, weights
        band, weights = fresh, fresh_w
        for left in xs:
            tw = min(tile, w)
            y = run(x[..., top:top + th, left:left + tw]).float().cpu()
            wy = _ramp(th, overlap, top > 0, top + th < h)
            wx = _ramp(tw, overlap, left > 0, left + tw < w)
            weight = wy[:, None] * wx[None, :]
            band[..., left:left + tw] += y * weight
            weights[..., left:left + tw] += weight
        done = (ys[i + 1] if i + 1 < len(ys) else h) - top  # rows no later tile reaches
        out[..., top:top + done, :] = to_uint8(band[..., :done, :] / weights[..., :done, :])
        band, weights = band[..., done:, :], weights[..., done:, :]
    return out
