"""CycleGAN (Zhu et al. 2017): two generators G_AB: A -> B and G_BA: B -> A, discriminators D_A (judges
domain A) and D_B (judges domain B), and the objective of eq. 3 plus the identity loss of section 5.2:

  L = L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A) + lambda_A |G_BA(G_AB(a)) - a|_1 + lambda_B |G_AB(G_BA(b)) - b|_1
      + lambda_idt (lambda_B |G_AB(b) - b|_1 + lambda_A |G_BA(a) - a|_1)

The official code calls the generators G_A (= our G_AB) and G_B, and its D_A judges domain B; the
weight importer maps those names. As in the official optimize_parameters, G is updated first and D
then sees the G step's fakes through the image pools (its `phases`; this order needs k = 1).

With InstanceNorm every image is normalised on its own, so passes of the same net are batched
(G_AB sees a and b together for translation and identity; G_BA sees b, a and G_AB(a)): the result is
what separate passes give, up to float rounding, in half the calls. BatchNorm nets run the six passes
separately, because batching would change their statistics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from translate.config import DIRECTIONS
from translate.errors import OptionError
from translate.models.base import LossOutput, Phase, algorithm1, loss_output
from translate.models.image_pool import ImagePool
from translate.models.spectral import fine_band, spectral_loss
from translate.models.translation import TranslationModel, discriminator_spec, generator_spec
from translate.storage.checkpoint import net_tensors


class CycleGAN(TranslationModel):
    generators = ("G_AB", "G_BA")
    grid_columns = 6

    def phases(self, d_steps):
        """As the official optimize_parameters: G first, then D on the same batch and G's (pooled) fakes. That
        order fits k = 1 only; with k > 1 every D update draws its own batch and fakes (Algorithm 1)."""
        if d_steps > 1:
            return algorithm1(d_steps)
        return [Phase(("G",), "g_loss"), Phase(("D",), "d_loss", batch="last", fakes_from=0)]

    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        ca, cb = info.channels, info.out_channels
        if cfg.lambda_identity > 0 and ca != cb:
            raise OptionError(f"the identity loss feeds B images to G_AB, so it needs `input_nc` = `output_nc` "
                             f"(got {ca} and {cb}); pass `lambda_identity` 0")
        self.specs = self._build({
            "G_AB": generator_spec(cfg, ca, cb), "G_BA": generator_spec(cfg, cb, ca),
            "D_A": discriminator_spec(cfg, ca), "D_B": discriminator_spec(cfg, cb),
            **({"D_A_fine": discriminator_spec(cfg, ca, cfg.fine_d_norm),
                "D_B_fine": discriminator_spec(cfg, cb, cfg.fine_d_norm)} if cfg.lambda_fine_d else {}),
        })
        self.pool_A, self.pool_B = ImagePool(cfg.pool_size), ImagePool(cfg.pool_size)
        # Batching passes is exact only when no net mixes statistics across the batch.
        self.batched = cfg.norm != "batch"

    def roles(self):
        ds = [self.D_A, self.D_B, *self._fine_ds()]
        return {"G": [*self.G_AB.parameters(), *self.G_BA.parameters()], "D": [p for d in ds for p in d.parameters()]}

    def _fine_ds(self) -> tuple:
        return (self.D_A_fine, self.D_B_fine) if self.cfg.lambda_fine_d else ()

    def _generate(self, a, b):
        """fake_b, rec_a, fake_a, rec_b, idt_b = G_AB(b), idt_a = G_BA(a) (None without identity loss)."""
        idt = self.cfg.lambda_identity > 0
        n = a.shape[0]
        if not self.batched:
            fake_b, fake_a = self.G_AB(a), self.G_BA(b)
            rec_a, rec_b = self.G_BA(fake_b), self.G_AB(fake_a)
            idt_b, idt_a = (self.G_AB(b), self.G_BA(a)) if idt else (None, None)
            return fake_b, rec_a, fake_a, rec_b, idt_b, idt_a
        out_ab = self.G_AB(torch.cat([a, b]) if idt else a)
        fake_b, idt_b = out_ab[:n], (out_ab[n:] if idt else None)
        out_ba = self.G_BA(torch.cat([b, a, fake_b]) if idt else torch.cat([b, fake_b]))
        fake_a, idt_a = out_ba[:n], (out_ba[n:2 * n] if idt else None)
        rec_a = out_ba[-n:]
        rec_b = self.G_AB(fake_a)
        return fake_b, rec_a, fake_a, rec_b, idt_b, idt_a

    def g_loss(self, batch) -> LossOutput:
        c, a, b = self.cfg, batch["A"], batch["B"]
        fake_b, rec_a, fake_a, rec_b, idt_b, idt_a = self._generate(a, b)
        g = self.objective.g_loss
        terms = {
            "adv_AB": g(self.judge(self.D_B)(fake_b)),
            "adv_BA": g(self.judge(self.D_A)(fake_a)),
            "cycle_A": c.lambda_a * F.l1_loss(rec_a, a),
            "cycle_B": c.lambda_b * F.l1_loss(rec_b, b),
        }
        if idt_b is not None:
            terms["idt_AB"] = c.lambda_b * c.lambda_identity * F.l1_loss(idt_b, b)
            terms["idt_BA"] = c.lambda_a * c.lambda_identity * F.l1_loss(idt_a, a)
        if c.lambda_fine_d:
            terms["adv_fine_AB"] = c.lambda_fine_d * g(self.judge(self.D_B_fine)(fine_band(fake_b)))
            terms["adv_fine_BA"] = c.lambda_fine_d * g(self.judge(self.D_A_fine)(fine_band(fake_a)))
        if c.lambda_spectral:
            terms["spectral_AB"] = c.lambda_spectral * spectral_loss(fake_b, b)
            terms["spectral_BA"] = c.lambda_spectral * spectral_loss(fake_a, a)
        return loss_output(terms, fakes=(fake_a.detach(), fake_b.detach()))

    def d_loss(self, batch, fakes=None) -> LossOutput:
        a, b = batch["A"], batch["B"]
        if fakes is None:
            with torch.no_grad():
                fakes = (self.G_BA(b), self.G_AB(a))
        fake_a, fake_b = (self.pool_A.query(fakes[0]), self.pool_B.query(fakes[1]))
        terms = {}
        for dom, D, real, fake in (("A", self.D_A, a, fake_a), ("B", self.D_B, b, fake_b)):
            for k, v in self.adversarial_d_terms(self.judge(D), real, fake).items():
                terms[f"{k}_{dom}"] = 0.5 * v  # official backward_D_basic: (real + fake) * 0.5
        for dom, D, real, fake in zip("AB", self._fine_ds(), (a, b), (fake_a, fake_b)):
            for k, v in self.adversarial_d_terms(self.judge(D), fine_band(real), fine_band(fake)).items():
                terms[f"{k}_fine_{dom}"] = 0.5 * self.cfg.lambda_fine_d * v
        return loss_output(terms)

    def export(self):
        return {"G_AB": self.G_AB, "G_BA": self.G_BA}

    def export_config(self):
        return self._export_config({g: self.specs[g] for g in self.generators}, dict(zip(DIRECTIONS, self.generators)))

    def extra_state(self):
        out = {}
        for name, pool in (("pool_A", self.pool_A), ("pool_B", self.pool_B)):
            out.update({f"{name}.{k}": v for k, v in pool.state().items()})
        return out

    def load_extra_state(self, tensors):
        for name, pool in (("pool_A", self.pool_A), ("pool_B", self.pool_B)):
            pool.load_state(net_tensors(tensors, name))

    @torch.no_grad()
    def visuals(self, fixed, nets=None):
        nets = nets or {}
        g_ab, g_ba = nets.get("G_AB", self.G_AB), nets.get("G_BA", self.G_BA)
        a, b = fixed["A"], fixed["B"]
        fake_b, fake_a = self._translate_for_grid(g_ab, a), self._translate_for_grid(g_ba, b)
        rec_a, rec_b = self._translate_for_grid(g_ba, fake_b), self._translate_for_grid(g_ab, fake_a)
        return {"A | G_AB(A) | rec A | B | G_BA(B) | rec B": self._interleave([a, fake_b, rec_a, b, fake_a, rec_b])}
