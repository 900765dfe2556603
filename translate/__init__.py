"""translate: adversarial image generation and image-to-image translation on one training engine.

Public API: `load(path_or_name)` returns a `Sampler` for noise -> image models (gan, dcgan, cgan) and an
`ImageTranslator` for pix2pix, CycleGAN, CUT and FastCUT checkpoints.
Heavy imports (torch) happen on first use, so `import translate` and `translate --help` stay fast, and importing
translate changes nothing in the process (no environment variables, no warning filters).
"""

__version__ = "0.1.0"
__all__ = ["ImageTranslator", "Sampler", "load", "__version__"]


def __getattr__(name):
    if name in ("ImageTranslator", "Sampler", "load"):
        from translate import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'translate' has no attribute {name!r}")
