"""Interoperability with other code bases' checkpoints."""
