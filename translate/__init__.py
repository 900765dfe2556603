"""translate: adversarial image generation and image-to-image translation on one training engine.

Public API: `load(path)` returns a `Sampler` for noise -> image models (gan, dcgan, cgan) and an
`ImageTranslator` for pix2pix / CycleGAN checkpoints.
Heavy imports (torch) happen on first use, so `import translate` and `translate --help` stay fast.
"""

import os as _os

# Transparent huge pages for torch's CPU buffers of 2 MB and more (PyTorch's allocator then aligns them
# and calls madvise(MADV_HUGEPAGE); most Linux systems enable THP only on such request). Fewer TLB misses
# in the big GEMMs of the Winograd path: a ResNet-9 forward at 512x384 took 1.2-1.5 s instead of 1.6-2.0 s
# on this 2-core CPU, a CycleGAN training step at 256 px 9.7-10.1 s instead of 10.9-11.0 s, peak memory
# the same (bench/convert.py, bench/train_speed.py). PyTorch reads the variable once, at its first large
# allocation, so it only takes effect when translate is imported before any big tensor is made (the CLI
# always is). THP_MEM_ALLOC_ENABLE=0 in the environment turns it off.
_os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"
__all__ = ["ImageTranslator", "Sampler", "load", "__version__"]


def __getattr__(name):
    if name in ("ImageTranslator", "Sampler", "load"):
        from translate import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'translate' has no attribute {name!r}")
