"""The errors library code raises: one `TranslateError` family, ordinary exceptions a Python caller can
catch. Only the command line (translate/cli*.py) turns them into a one-line message and exit status 2.

Messages name the file, the value and the fix. Where a message names a configuration field it writes it
in backquotes (`crop_size`); the command line shows those as the matching flag (--crop-size), a Python
caller reads the field name it passed.
"""

from __future__ import annotations

import re


class TranslateError(Exception):
    """Something the user can fix: the message says what and how."""


class OptionError(TranslateError, ValueError):
    """An option or configuration value that cannot work (also a ValueError, as bad arguments are)."""


class UnknownNameError(OptionError, KeyError):
    """A name that no registry holds; the message lists the valid ones (also a KeyError, as lookups are)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DataError(TranslateError):
    """Data that is missing, unreadable or not in an accepted layout."""


class DownloadError(DataError):
    """A download that failed or does not match its checksum."""


class CheckpointError(TranslateError):
    """A checkpoint (run folder, bundle, official .pth) that cannot be used; the message names the file."""


class ConvertError(TranslateError):
    """A problem with a conversion as asked (paths, options)."""


class TrainingError(TranslateError):
    """A run that cannot go on (e.g. a loss became NaN); the message names the last good state."""


_FIELD = re.compile(r"`([a-zA-Z][a-zA-Z0-9_]*)`")


def as_flags(message: str, fields: set[str] | None = None) -> str:
    """`crop_size` -> --crop-size for every backquoted name (only those in `fields`, when given)."""
    def flag(m: re.Match) -> str:
        name = m.group(1)
        return "--" + name.replace("_", "-") if fields is None or name in fields else m.group(0)

    return _FIELD.sub(flag, message)
