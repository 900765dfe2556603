"""The GPU fast path: runs only where CUDA is present (CI has none; the device tool's sessions do).

  pytest tests/test_gpu.py       # on a machine with a GPU
"""

from __future__ import annotations

import pytest
import torch
from conftest import make_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (CI has none)")


@pytest.mark.parametrize("extra", [
    {"precision": "bf16", "channels_last": True},
    {"precision": "fp16"},  # GradScaler with a fused Adam: the inf check stays on the GPU
])
def test_hot_loop_makes_no_host_syncs(extra, unpaired_root, tmp_path):
    """Every update (forward, backward, optimizer, scaler) runs with CUDA's sync debug mode set to error;
    only the log intervals, outside the updates, may read values back."""
    from translate.training.trainer import Trainer

    cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 4, "device": "cuda", "log_every": 1000, **extra})
    tr = Trainer(cfg, tmp_path / "run", quiet=True)
    update = tr._update

    def strict_update(*a, **k):
        torch.cuda.set_sync_debug_mode("error")
        try:
            return update(*a, **k)
        finally:
            torch.cuda.set_sync_debug_mode("default")

    tr._update = strict_update
    tr.fit()
    assert (tmp_path / "run" / "bundle" / "model.safetensors").is_file()


def test_compiled_fast_path_follows_eager_on_the_gpu(unpaired_root, tmp_path):
    from translate.training.trainer import Trainer

    losses = {}
    for name, extra in (("eager", {}), ("fast", {"channels_last": True, "compile": True})):
        cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 3, "device": "cuda", **extra})
        run = Trainer(cfg, tmp_path / name, quiet=True).fit()
        rows = (run / "losses.csv").read_text().strip().splitlines()[1:]
        losses[name] = torch.tensor([[float(v) for v in r.split(",")[1:]] for r in rows])
    assert torch.allclose(losses["fast"][0], losses["eager"][0], rtol=1e-3)
