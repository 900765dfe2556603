"""CUT and FastCUT (Park et al. 2020, "Contrastive Learning for Unpaired Image-to-Image Translation"): one
generator G: A -> B, a PatchGAN D on domain B, and PatchNCE (eq. 2-3) between patches of the input and the
same positions of the output, in the features of G's own encoder, projected by an MLP head F:

  L = lambda_GAN L_GAN(G, D) + lambda_NCE L_PatchNCE(G, F, X)           FastCUT (lambda_NCE 10, flips)
  L = lambda_GAN L_GAN(G, D) + lambda_NCE (L_PatchNCE(G, F, X) + L_PatchNCE(G, F, Y)) / 2     CUT (eq. 5)

As in the official optimize_parameters: one G forward per step makes the fake; D steps on it detached, then
G and F step together (one loss, two optimizers) on the same fake through the updated D. F's MLPs are sized
by the encoder's features, so they are built from a first forward pass (`setup`), before the optimizers.
"""

from __future__ import annotations

import torch

from translate.models.base import LossOutput, Phase, loss_output
from translate.models.translation import TranslationModel, discriminator_spec, generator_spec
from translate.nets.layers import init_weights
from translate.nets.patch_sample import patch_nce
from translate.nets.spec import build_net, net_spec


class CUT(TranslationModel):
    grid_columns = 3

    def __init__(self, cfg, info):
        super().__init__(cfg, info)
        if cfg.nce_idt and info.channels != info.out_channels:
            from translate.errors import OptionError

            raise OptionError(f"identity PatchNCE feeds B images to G, so it needs `input_nc` = `output_nc` "
                              f"(got {info.channels} and {info.out_channels}); pass `no_nce_idt`")
        self.specs = self._build({"G": generator_spec(cfg, info.channels, info.out_channels),
                                  "D": discriminator_spec(cfg, info.out_channels)})
        self.layers = _parse_layers(cfg.nce_layers, len(self.G.model))
        self.F = None  # the projection head: built by `setup` from the encoder's feature shapes

    def setup(self, batch):
        with torch.no_grad():
            feats = self.G.encode(batch["A"][:1], self.layers)
        self.specs["F"] = net_spec("patch_sample_mlp", in_channels=[f.shape[1] for f in feats], nc=self.cfg.netf_nc)
        self.F = init_weights(build_net(self.specs["F"]), self.cfg.init)

    def roles(self):
        return {"G": list(self.G.parameters()), "D": list(self.D.parameters()), "F": list(self.F.parameters())}

    def role_settings(self, role):
        return "d" if role == "D" else "g"  # the official optimizer_F takes G's lr and betas

    def phases(self, d_steps):
        return [Phase(("D",), "d_loss", repeat=d_steps, graph_for=("G",)),
                Phase(("G", "F"), "g_loss", batch="last", fakes_from=0)]

    def _generate(self, batch) -> dict:
        """G on the input (and, with nce_idt, the target images) in one pass; flipped half the time under
        flip-equivariance, with the outputs kept as G made them (the NCE loss flips their features back)."""
        a, b = batch["A"], batch["B"]
        real = torch.cat([a, b]) if self.cfg.nce_idt else a
        flipped = bool(self.cfg.flip_equivariance and torch.rand(()) < 0.5)
        if flipped:
            real = torch.flip(real, [3])
        fake = self.G(real)
        n = a.shape[0]
        return {"fake_b": fake[:n], "idt_b": fake[n:] if self.cfg.nce_idt else None, "flipped": flipped}

    def d_loss(self, batch, fakes=None) -> LossOutput:
        out = fakes if fakes is not None else self._generate(batch)
        terms = self.adversarial_d_terms(self.judge(self.D), batch["B"], out["fake_b"])
        # official compute_D_loss: (fake + real) * 0.5; the fakes (with G's graph) go on to G's update
        return loss_output({k: 0.5 * v for k, v in terms.items()}, fakes=out)

    def g_loss(self, batch, fakes=None) -> LossOutput:
        c = self.cfg
        out = fakes if fakes is not None else self._generate(batch)
        terms = {"g_adv": c.lambda_gan * self.objective.g_loss(self.judge(self.D)(out["fake_b"]))}
        nce = self.nce_loss(batch["A"], out["fake_b"], out["flipped"])
        terms["nce"] = nce
        if out["idt_b"] is not None:
            terms["nce_idt"] = self.nce_loss(batch["B"], out["idt_b"], out["flipped"])
            terms["nce"], terms["nce_idt"] = 0.5 * nce, 0.5 * terms["nce_idt"]  # (NCE_X + NCE_Y) / 2
        return loss_output(terms, fakes=out["fake_b"].detach())

    def nce_loss(self, src, tgt, flipped: bool = False):
        """lambda_NCE x the mean over layers of the mean PatchNCE between the output `tgt` (queries) and the
        input `src` (keys) at the same sampled positions. The keys are detached in the loss, so their encoder
        and head passes run without a graph: the same value and gradients as the official code."""
        feat_q = self.G.encode(tgt, self.layers)
        if flipped:
            feat_q = [torch.flip(f, [3]) for f in feat_q]
        with torch.no_grad():
            feat_k = self.G.encode(src, self.layers)
            keys, ids = self.F(feat_k, self.cfg.num_patches)
        queries, _ = self.F(feat_q, self.cfg.num_patches, ids)
        total = sum(patch_nce(q, k, src.shape[0], self.cfg.nce_t).mean() for q, k in zip(queries, keys))
        return self.cfg.lambda_nce * total / len(self.layers)

    def export(self):
        return {"G": self.G}

    def export_config(self):
        return self._export_config({"G": self.specs["G"]}, {self.info.direction: "G"})

    @torch.no_grad()
    def visuals(self, fixed, nets=None):
        G = (nets or {}).get("G", self.G)
        a, b = fixed["A"], fixed["B"]
        return {"A | G(A) | B": self._interleave([a, self._translate_for_grid(G, a), b])}


def _parse_layers(text: str, n_layers: int) -> list[int]:
    try:
        layers = sorted({int(v) for v in str(text).split(",") if v.strip()})
    except ValueError:
        layers = []
    if not layers or layers[0] < 0 or layers[-1] >= n_layers:
        from translate.errors import OptionError

        raise OptionError(f"`nce_layers` {text!r}: give comma-separated layer indices of the generator, from 0 to "
                          f"{n_layers - 1} (CUT: 0,4,8,12,16)")
    return layers


class FastCUT(CUT):
    """CUT with FastCUT's defaults (models/configs.py FastCUTConfig): no identity PatchNCE, flip equivariance."""
