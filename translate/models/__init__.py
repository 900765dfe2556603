"""Training recipes: `models/<name>.py` holds the losses, `models/configs.py` the published defaults.
Models register themselves in `translate.registry.MODELS` (imported on first lookup)."""
