"""Grain: the two artefacts an under-trained generator lays over a photo (`translate eval --metric grain`).

- grid: a pattern repeating every 2, 4 or 8 pixels. A generator's stride-2 stages work on grids of 2 and 4
  pixels (transposed convolutions paint uneven overlaps there: Odena et al. 2016, "Deconvolution and
  checkerboard artifacts"), and a net run at half the photo's size and upsampled moves them to 4 and 8. It
  is measured on the luminance power spectrum: at each frequency of that lattice (multiples of 1/8 cycle
  per pixel, both axes), the power against the median power of the frequencies around it (a ring 3-4 bins
  out; along the axis for a peak on an axis), in dB; an image's `grid_db` is its strongest such peak. Natural
  photos have a smooth spectrum there, apart from the 8x8 blocks of JPEG compression, which real test photos
  carry too; a grid far too faint to see in a histogram stands out by tens of dB.
- speckle: colour noise finer than a pixel or two, the coloured dots and sparkle of a young CycleGAN. Cameras
  and JPEG keep little colour at that scale (chroma subsampling), so real photos carry little of it. It is
  the RMS of the Cb and Cr channels minus their Gaussian blur of sigma 1 px, in 8-bit levels.

Both are compared with the same figures of real target photos at the same size: translations whose grain
is no higher than real photos' show none the eye would call an artefact. Blur lowers both figures (a
blurred photo has no grain): that is what the domain metric's sharpness check is for, so report them
together.
"""

from __future__ import annotations

import torch
from torch import Tensor

LATTICE = 8  # periods of 2, 4 and 8 pixels: the frequencies k/8 cycles per pixel, k = 0..4
RING = (3, 4)  # the neighbourhood a peak is compared with, in frequency bins (Chebyshev distance)
AXIS_RING = (2, 6)  # ... and for a peak on an axis, the bins along that axis at these distances


def _ycbcr(x: Tensor) -> Tensor:
    """(N, 3, H, W) in [-1, 1] -> (N, 3, H, W) Y, Cb, Cr in 8-bit levels."""
    import kornia

    return kornia.color.rgb_to_ycbcr(x.float().add(1).mul(0.5).clamp(0, 1)) * 255


def grid_db(x: Tensor) -> Tensor:
    """(N,) the strongest luminance spectral peak on the 2/4/8-pixel lattice above its surroundings, dB."""
    y = _ycbcr(x)[:, 0] if x.shape[1] == 3 else x[:, 0].float().add(1).mul(127.5)
    h, w = y.shape[-2:]
    # a Hann window keeps the photo's edges from smearing power over the whole spectrum
    win = torch.hann_window(h, periodic=False)[:, None] * torch.hann_window(w, periodic=False)[None, :]
    power = torch.fft.fft2((y - y.mean((1, 2), keepdim=True)) * win).abs().square() + 1e-12
    square = [(dy, dx) for dy in range(-RING[1], RING[1] + 1) for dx in range(-RING[1], RING[1] + 1)
              if max(abs(dy), abs(dx)) >= RING[0]]
    line = [d for d in range(-AXIS_RING[1], AXIS_RING[1] + 1) if abs(d) >= AXIS_RING[0]]
    peaks = []
    for ky in range(LATTICE // 2 + 1):
        for kx in range(LATTICE // 2 + 1):
            if ky == kx == 0:
                continue
            fy, fx = ky * h // LATTICE, kx * w // LATTICE
            # a peak on an axis is compared along that axis: straight edges and stripes across a photo put
            # their power on the axes, which a ring around the peak would call a grid
            offsets = [(0, d) for d in line] if ky == 0 else [(d, 0) for d in line] if kx == 0 else square
            ring = torch.stack([power[:, (fy + dy) % h, (fx + dx) % w] for dy, dx in offsets], 1)
            peaks.append(10 * torch.log10(power[:, fy, fx] / ring.median(1).values))
    return torch.stack(peaks, 1).amax(1)


def speckle(x: Tensor) -> Tensor:
    """(N,) RMS of the colour detail finer than a 1 px Gaussian (Cb and Cr), in 8-bit levels; 0 for gray."""
    import kornia

    if x.shape[1] != 3:
        return torch.zeros(len(x))
    chroma = _ycbcr(x)[:, 1:]
    fine = chroma - kornia.filters.gaussian_blur2d(chroma, (7, 7), (1.0, 1.0), border_type="reflect")
    return fine.square().mean((1, 2, 3)).sqrt()


def grain(x: Tensor, batch: int = 16) -> dict:
    """Mean and per-image figures of (N, C, H, W) images in [-1, 1] (or uint8)."""
    if x.dtype == torch.uint8:
        x = x.float().div(127.5).sub(1)
    g = torch.cat([grid_db(x[i:i + batch]) for i in range(0, len(x), batch)])
    s = torch.cat([speckle(x[i:i + batch]) for i in range(0, len(x), batch)])
    return {"grid_db": float(g.mean()), "speckle": float(s.mean()), "n_images": len(x),
            "grid_db_per_image": [round(float(v), 2) for v in g],
            "speckle_per_image": [round(float(v), 3) for v in s]}


def compare(outputs: Tensor, real_target: Tensor) -> dict:
    """Grain of translations beside that of real target photos, and whether it is no higher."""
    out, real = grain(outputs), grain(real_target)
    return {"grid_db": out["grid_db"], "speckle": out["speckle"],
            "real_grid_db": real["grid_db"], "real_speckle": real["speckle"],
            "within_real": out["grid_db"] <= real["grid_db"] and out["speckle"] <= real["speckle"]}
