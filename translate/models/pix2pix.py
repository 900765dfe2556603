"""pix2pix (Isola et al. 2017): a conditional GAN whose D judges (input, output) pairs, plus an L1
term that keeps the output close to the paired target (eq. 4: G* = arg min max L_cGAN + lambda L_L1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from translate.models.base import LossOutput, Phase, loss_output
from translate.models.translation import TranslationModel, discriminator_spec, generator_spec
from translate.storage.checkpoint import net_tensors


class Pix2Pix(TranslationModel):
    work_scale = "native"  # a layout maps to a photo pixel for pixel, at any size
    grid_columns = 3

    def phases(self, d_steps):
        """As the official optimize_parameters: one minibatch and one G forward per D update; D steps on the
        detached fake, then G on the same fake (G's graph kept) through the updated D, on D's last batch."""
        return [Phase(("D",), "d_loss", repeat=d_steps, graph_for=("G",)),
                Phase(("G",), "g_loss", batch="last", fakes_from=0)]

    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        self.specs = self._build({
            "G": generator_spec(cfg, info.channels, info.out_channels),
            "D": discriminator_spec(cfg, info.channels + info.out_channels),  # D sees concat(A, B)
        })
        self.pool = None
        if cfg.pool_size:
            from translate.models.image_pool import ImagePool

            self.pool = ImagePool(cfg.pool_size)

    def roles(self):
        return {"G": list(self.G.parameters()), "D": list(self.D.parameters())}

    def d_loss(self, batch, fakes=None) -> LossOutput:
        a, b = batch["A"], batch["B"]
        fake_b = fakes if fakes is not None else self.G(a)  # keeps G's graph when the trainer asks
        fake_ab = torch.cat([a, fake_b.detach()], 1)
        if self.pool is not None:
            fake_ab = self.pool.query(fake_ab)
        terms = self.adversarial_d_terms(self.judge(self.D), torch.cat([a, b], 1), fake_ab)
        # official: (real + fake) * 0.5; fake_b goes on to G's update on this batch
        return loss_output({k: 0.5 * v for k, v in terms.items()}, fakes=fake_b)

    def g_loss(self, batch, fakes=None) -> LossOutput:
        a, b = batch["A"], batch["B"]
        fake_b = fakes if fakes is not None else self.G(a)
        adv = self.objective.g_loss(self.judge(self.D)(torch.cat([a, fake_b], 1)))
        return loss_output({"g_adv": adv, "l1": self.cfg.lambda_l1 * F.l1_loss(fake_b, b)}, fakes=fake_b.detach())

    def export(self):
        return {"G": self.G}

    def export_config(self):
        # one generator whose input is the side `direction` named at training: "AtoB" means forward
        return self._export_config({"G": self.specs["G"]}, {"AtoB": "G"})

    def extra_state(self):
        return {f"pool.{k}": v for k, v in (self.pool.state() if self.pool else {}).items()}

    def load_extra_state(self, tensors):
        if self.pool is not None:
            self.pool.load_state(net_tensors(tensors, "pool"))

    @torch.no_grad()
    def visuals(self, fixed, nets=None):
        G = (nets or {}).get("G", self.G)
        a, b = fixed["A"], fixed["B"]
        return {"A | G(A) | B": self._interleave([a, self._translate_for_grid(G, a), b])}
