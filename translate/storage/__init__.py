"""What the project reads and writes on disk: atomic files and folders (atomic.py), bounded reads and
output guards (files.py), the checkpoint formats (checkpoint.py: bundles and run states, safetensors + JSON,
no pickle), named checkpoints (catalog.py) and the cache folder (cache.py). Torch-free except checkpoint.py."""
