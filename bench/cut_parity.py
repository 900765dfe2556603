"""Parity of our CUT nets and loss with the official CUT code, run side by side; writes the official outputs
for our seeded weights to tests/data/cut_official_outputs.safetensors, so the tests check parity without the
official code.

    OFFICIAL=/path/to/contrastive-unpaired-translation python bench/cut_parity.py

(export the official code with ../shared/tools/official_checkout.sh GIT_DIR OUT_DIR HEAD). Prints the largest
differences; nothing is asserted here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "cut_official_outputs.safetensors"
LAYERS = [0, 4, 8, 12, 16]


def ours(seed: int = 0):
    from translate.nets.patchgan import PatchDiscriminator
    from translate.nets.resnet import ResnetGenerator

    torch.manual_seed(seed)
    G = ResnetGenerator(3, 3, ngf=8, n_blocks=5, antialias=True, antialias_up=True)
    D = PatchDiscriminator(3, ndf=8, n_layers=3, antialias=True)
    for net in (G, D):  # random weights that exercise every layer (official init would zero the biases)
        for p in net.parameters():
            p.data.normal_(0, 0.2)
    return G.eval(), D.eval()


def main() -> None:
    official = Path(os.environ["OFFICIAL"])
    sys.path.insert(0, str(official))
    from models import networks as off  # noqa: E402  (the official code, run beside ours)
    from models.patchnce import PatchNCELoss  # noqa: E402

    G, D = ours()
    oG = off.ResnetGenerator(3, 3, 8, norm_layer=off.get_norm_layer("instance"), use_dropout=False, n_blocks=5)
    oD = off.NLayerDiscriminator(3, 8, n_layers=3, norm_layer=off.get_norm_layer("instance"))
    oG.load_state_dict(G.state_dict(), strict=True)
    oD.load_state_dict(D.state_dict(), strict=True)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 36, 44, generator=g) * 2 - 1
    with torch.no_grad():
        y_off, feats_off = oG(x), oG(x, LAYERS, encode_only=True)
        d_off = oD(x)
        y, feats, d = G(x), G.encode(x, LAYERS), D(x)
    print("G output max |ours - official|:", float((y - y_off).abs().max()))
    print("D output max |ours - official|:", float((d - d_off).abs().max()))
    print("encoder features:", [float((a - b).abs().max()) for a, b in zip(feats, feats_off)])

    # PatchNCE on hand-made features: the official loss and ours
    from translate.nets.patch_sample import patch_nce

    q = torch.nn.functional.normalize(torch.randn(2 * 16, 8, generator=g), dim=1)
    k = torch.nn.functional.normalize(torch.randn(2 * 16, 8, generator=g), dim=1)
    opt = SimpleNamespace(nce_includes_all_negatives_from_minibatch=False, batch_size=2, nce_T=0.07)
    nce_off = PatchNCELoss(opt)(q, k)
    print("PatchNCE max |ours - official|:", float((patch_nce(q, k, 2, 0.07) - nce_off).abs().max()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tensors = {"x": x, "G": y_off, "D": d_off, "nce_q": q, "nce_k": k, "nce": nce_off}
    tensors.update({f"feat{i}": f for i, f in zip(LAYERS, feats_off)})
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
