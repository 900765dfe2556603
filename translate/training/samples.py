"""The sample grids of a run: reals.png and fakes_init.png at the start, samples/step-NNNNNNN.png every
`sample_every` steps and at the stop, samples/latest.png always the newest (from step 0, so every path the
run prints can be opened). The grids' inputs are drawn once, from their own generator."""

from __future__ import annotations

from pathlib import Path

import torch

from translate.storage.atomic import atomic_write_bytes
from translate.training.runlog import save_samples


class SampleGrids:
    def __init__(self, model, run_dir: Path, preview, n: int, seed: int, dist, device: torch.device):
        self.model, self.run_dir, self.preview, self.n = model, run_dir, preview, n
        self.dist, self.device = dist, device
        # the model's grid inputs, drawn from their own generator: the training RNG is untouched
        fixed = model.fixed_inputs(n, torch.Generator().manual_seed(seed), preview)
        self.fixed = {k: v.to(device) if torch.is_tensor(v) else v for k, v in fixed.items()}
        self.reference = model.grid_reference(preview, n)

    @property
    def nrow(self) -> int:
        return int(self.fixed.get("nrow", 8))

    def initial(self, nets: dict | None) -> None:
        reals, nrow = self.model.reals(self.preview, self.n)
        if self.dist.is_main:
            save_samples(reals, self.run_dir / "reals.png", nrow=nrow)
        self.write(0, nets, name="fakes_init.png")
        if self.dist.is_main:
            atomic_write_bytes(self.run_dir / "samples" / "latest.png", (self.run_dir / "fakes_init.png").read_bytes())

    def write(self, step: int, nets: dict | None, name: str | None = None) -> None:
        """The grid of `step` from `nets` (the EMA's, when the run keeps one; else the model's own)."""
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # grids (e.g. pix2pix dropout) leave training RNG alone
            out = self.model.visuals(self.fixed, nets)  # on every rank: nets may hold collectives (SyncBN)
        if not self.dist.is_main:
            return
        path = self.run_dir / (name or f"samples/step-{step:07d}.png")
        save_samples(out, path, nrow=self.nrow, reference=self.reference)
        if not name:  # render once, copy the bytes
            atomic_write_bytes(self.run_dir / "samples" / "latest.png", path.read_bytes())
