"""`translate` command line: the only layer that sees argparse, prints errors and exits.

`--help` must stay fast: only torch-free modules (options, config, registry, models/configs) are imported at
module level; every command imports what it needs inside its handler. Library code raises TranslateError;
`main` prints its message as one line (configuration field names shown as flags) and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from translate import __version__
from translate.errors import TranslateError, as_flags

COMMANDS = {
    "train": "train a model (gan, dcgan, cgan, pix2pix, cyclegan, cut, fastcut); leaves a run folder with grids, "
             "losses and resumable states",
    "sample": "draw samples (a PNG grid, a folder of PNGs, or an .npy of points) from a checkpoint",
    "eval": "score a checkpoint: modes, parzen, fid, kid, domain, grain, paired or class",
    "demo": "start the web demo (season transfer, object transfiguration, facades, digit generation)",
    "convert": "translate a folder of images or videos (or one file, or a list) with a pix2pix, CycleGAN or CUT "
               "checkpoint",
    "export": "write a run's generators as a small stand-alone bundle (optionally fp16), or one as ONNX",
    "list": "list models, objectives, nets, data set names and the checkpoints a name finds",
    "info": "this machine's CPU, bf16 features and the speed choices timed on it",
    "download": "download an official CycleGAN / pix2pix data set into datasets/",
    "download-weights": "install a published pretrained generator (per-user folder; found by its name)",
    "import-official": "convert official CycleGAN / pix2pix / CUT generator .pth files into a checkpoint folder",
}

EXAMPLES = """examples:
  translate train --model gan --data ring8
  translate train --model cyclegan --data horse2zebra --size 128 --netG resnet_6blocks
  translate train --model pix2pix --data facades --direction BtoA
  translate train --model dcgan --data mnist --steps 3000
  translate train --model cgan --data digits --objective hinge --d-steps 2 --lr-d 4e-4
  translate train --resume checkpoints/run-001-dcgan-mnist --steps 6000
  translate sample --checkpoint checkpoints/run-001-dcgan-mnist --n 64 --out grid.png
  translate eval --checkpoint checkpoints/run-002-gan-ring8 --metric modes
  translate convert --checkpoint checkpoints/horse2zebra --input photos/ --output zebras/
"""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs keep their line breaks (examples stay one per line), and each line longer
    than the width wraps, indented like its first line."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=32, width=110)

    def _fill_text(self, text, width, indent):
        import textwrap

        out = []
        for line in text.splitlines():
            lead = indent + line[:len(line) - len(line.lstrip())]
            out.append(textwrap.fill(line.strip(), width, initial_indent=lead, subsequent_indent=lead + "  ")
                       if len(lead + line.strip()) > width else indent + line)
        return "\n".join(out)


def _top_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="translate", formatter_class=Formatter, epilog=EXAMPLES,
        description="Adversarial image generation and image-to-image translation on one training engine.\n"
                    "Run `translate COMMAND --help` for a command's options.")
    p.add_argument("--version", action="version", version=f"translate {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return p


# command -> "module:function" under translate.cli, imported only when that command runs
HANDLERS = {"train": "train:cmd_train", "sample": "sample:cmd_sample", "eval": "sample:cmd_eval",
            "export": "export:cmd_export", "list": "export:cmd_list", "info": "info:cmd_info",
            "convert": "convert:cmd_convert", "demo": "demo:cmd_demo", "download": "fetch:cmd_download",
            "download-weights": "fetch:cmd_download_weights", "import-official": "fetch:cmd_import_official"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in HANDLERS:
        _top_parser().parse_args(argv or ["--help"])
        return 0
    enable_huge_pages()
    from importlib import import_module

    module, _, func = HANDLERS[argv[0]].partition(":")
    previous = _stop_as_interrupt()
    try:
        return getattr(import_module(f"translate.cli.{module}"), func)(argv[1:]) or 0
    except KeyboardInterrupt:
        print(f"translate {argv[0]}: interrupted", file=sys.stderr)
        return 130
    except TranslateError as e:
        print(f"translate {argv[0]}: {as_flags(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:
        if e.filename is None:  # not about a path: a bug to report, with its traceback
            raise
        # a path the command was given but cannot use (a file where a folder must be, no permission, a full
        # or read-only disk): whichever command met it, one line naming it
        where = e.filename if e.filename2 is None else f"{e.filename} -> {e.filename2}"
        why = e.strerror or type(e).__name__
        if isinstance(e, (FileExistsError, NotADirectoryError)):
            why = "a file stands where a folder is needed"
        print(f"translate {argv[0]}: cannot use {where} ({why}); pick a location you can write to, with room "
              f"to spare", file=sys.stderr)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_signals_seen: list[int] = []


def _stop_as_interrupt() -> dict:
    """From the first moment of a command, Ctrl-C and SIGTERM (a scheduler, `kill`, `timeout`) raise
    KeyboardInterrupt, so that `finally` blocks and atomic writes clean up instead of the process dying
    mid-write; the signal is also remembered (`interrupted()`), because library code run at import time can
    swallow the exception. The trainer, once it can save a resumable state, catches both signals itself
    (trainer.py `_catch_signals`). Returns the handlers it replaced (none off the main thread)."""
    _signals_seen.clear()

    def interrupt(signum, frame):
        _signals_seen.append(signum)
        raise KeyboardInterrupt

    try:
        return {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        return {}


def interrupted() -> bool:
    """Whether a stop signal arrived since the command started, even one whose exception got lost."""
    return bool(_signals_seen)


def enable_huge_pages() -> None:
    """Transparent huge pages for torch's large CPU buffers (see translate/accel/__init__.py), set before torch
    is imported: the command line opts in for its own process; importing translate changes nothing."""
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")


