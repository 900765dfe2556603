"""Data: resolve a name or folder, validate it, and stream dict batches (see `open_data`)."""

from translate.data.datasets import open_data  # noqa: F401
from translate.data.loader import BatchStream  # noqa: F401
