"""Data: resolve a name or folder, validate it, and stream dict batches (see `open_data`).

Exports are resolved lazily so that torch-free submodules (download) can be imported by the CLI's
--help paths without importing torch."""


def __getattr__(name: str):
    if name == "open_data":
        from translate.data.datasets import open_data

        return open_data
    if name == "BatchStream":
        from translate.data.loader import BatchStream

        return BatchStream
    raise AttributeError(name)
