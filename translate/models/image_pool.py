"""The image pool of Shrivastava et al. 2017 as used by CycleGAN (Zhu et al. 2017, section 4): D is
updated with a mix of current fakes and fakes from earlier G steps, which damps oscillation.

Behaviour of the official ImagePool: until the pool holds `size` images every fake is stored and
returned; after that each fake, with probability 1/2, replaces a random stored image and the stored one
is returned instead, else the fake itself is returned. Draws come from torch's global generator, which
the trainer checkpoints, and the pool's images are checkpointed through `state()`, so resume is exact.
"""

from __future__ import annotations

import torch
from torch import Tensor


class ImagePool:
    def __init__(self, size: int):
        self.size = size
        self.images: Tensor | None = None  # (n, C, H, W), n <= size
        self.count = 0

    @torch.no_grad()
    def query(self, fakes: Tensor) -> Tensor:
        """(N, C, H, W) detached fakes -> (N, C, H, W) images for D, some from the pool."""
        if self.size == 0:
            return fakes
        if self.images is None:
            self.images = fakes.new_empty((self.size, *fakes.shape[1:]))
        elif self.images.device != fakes.device or self.images.dtype != fakes.dtype:  # restored on CPU
            self.images = self.images.to(fakes.device, fakes.dtype)
        out = []
        for img in fakes:
            if self.count < self.size:
                self.images[self.count] = img
                self.count += 1
                out.append(img)
            elif torch.rand(()) > 0.5:
                i = int(torch.randint(0, self.size, ()))
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.stack(out)

    def state(self) -> dict[str, Tensor]:
        if self.images is None:
            return {}
        return {"images": self.images[:self.count].clone()}

    def load_state(self, tensors: dict[str, Tensor]) -> None:
        imgs = tensors.get("images")
        if imgs is None or len(imgs) == 0:
            self.images, self.count = None, 0
            return
        self.images = imgs.new_empty((self.size, *imgs.shape[1:]))
        self.count = min(len(imgs), self.size)
        self.images[:self.count] = imgs[:self.count]
