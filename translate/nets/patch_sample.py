"""CUT's projection head (Park et al. 2020, section 3.2; the official `PatchSampleF` with `mlp_sample`):
sample the same patch positions from each encoder layer's features of two images, project each sample with a
two-layer MLP per layer, and L2-normalise, giving the embeddings the PatchNCE loss compares."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PatchSampleMLP(nn.Module):
    """Per layer l: (N, C_l, H_l, W_l) features -> (N * P, nc) unit vectors at P sampled positions.

    `in_channels` lists C_l for each layer (known from a first forward pass of the generator's encoder).
    The module names match the official head (`mlp_0.0.weight`, ...), so official weights load.
    """

    def __init__(self, in_channels: list[int], nc: int = 256):
        super().__init__()
        self.in_channels = list(in_channels)
        for i, c in enumerate(self.in_channels):
            setattr(self, f"mlp_{i}", nn.Sequential(nn.Linear(c, nc), nn.ReLU(), nn.Linear(nc, nc)))

    def forward(self, feats: list[Tensor], num_patches: int, patch_ids: list[Tensor] | None = None,
                generator: torch.Generator | None = None) -> tuple[list[Tensor], list[Tensor]]:
        """Embeddings and the positions used; pass `patch_ids` to sample the same positions again. New
        positions are a random subset (the global torch RNG, or `generator`), without repetition."""
        out, ids = [], []
        for i, feat in enumerate(feats):
            flat = feat.permute(0, 2, 3, 1).flatten(1, 2)  # (N, H*W, C)
            if patch_ids is not None:
                pid = patch_ids[i]
            else:
                pid = torch.randperm(flat.shape[1], generator=generator)[:min(num_patches, flat.shape[1])]
                pid = pid.to(feat.device)
            x = getattr(self, f"mlp_{i}")(flat[:, pid, :].flatten(0, 1))
            out.append(x / (x.norm(dim=1, keepdim=True) + 1e-7))  # the official Normalize: x / (||x|| + 1e-7)
            ids.append(pid)
        return out, ids


def patch_nce(query: Tensor, key: Tensor, batch: int, temperature: float = 0.07) -> Tensor:
    """PatchNCE (Park et al. 2020, eq. 2-3): for each of the N*P query embeddings (N images, P patches each),
    cross-entropy of picking its own key (the same position in the source image) among the P keys of the
    same image, at `temperature`. The other positions are the negatives; the key's own similarity sits on the
    diagonal of the negatives matrix, where it is masked to -10, as in the official loss. Keys are detached.
    Returns the (N*P,) per-patch losses.

    query, key: (N * P, D) unit vectors, image-major (image 0's P patches first).
    """
    key = key.detach()
    n_patches, dim = query.shape
    l_pos = (query * key).sum(1, keepdim=True)  # (N*P, 1)
    q, k = query.view(batch, -1, dim), key.view(batch, -1, dim)
    l_neg = torch.bmm(q, k.transpose(1, 2))  # (N, P, P)
    eye = torch.eye(q.shape[1], device=query.device, dtype=torch.bool)[None]
    l_neg = l_neg.masked_fill(eye, -10.0).view(-1, q.shape[1])
    logits = torch.cat([l_pos, l_neg], 1) / temperature
    target = torch.zeros(n_patches, dtype=torch.long, device=query.device)
    return nn.functional.cross_entropy(logits, target, reduction="none")
