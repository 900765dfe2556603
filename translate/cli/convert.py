"""`translate convert`: the command-line face of translate/inference/convert.py (fast --help: no torch here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from translate.cli import Formatter
from translate.config import DIRECTIONS
from translate.errors import ConvertError, OptionError

MIN_TILE = 64  # below it a tile's overlap and the net's receptive field leave nothing of the tile itself

EPILOG = """examples:
  translate convert --checkpoint checkpoints/horse2zebra --input photos/ --output zebras/
  translate convert --checkpoint checkpoints/horse2zebra --direction BtoA --input list.txt --output out/ --format jpg
  translate convert --checkpoint run-007 --input big.tif --output big_out.png --tile 1024
  translate convert --checkpoint checkpoints/facades --input labels/ --output review/ --side-by-side --dry-run

Re-running the same command skips what is already converted. Files that cannot be read are listed in
OUTPUT/convert-errors.txt; the rest still convert, and the exit status is 1."""


def _parser() -> argparse.ArgumentParser:
    from translate.inference.image_files import FORMATS

    p = argparse.ArgumentParser(
        prog="translate convert", formatter_class=Formatter, epilog=EPILOG,
        description="Translate a folder of images and videos (recursively), one image or video, or a text file "
                    "listing images, into OUTPUT, mirroring relative paths and file names. Images keep their "
                    "size (padded to the net's multiple and cropped back), alpha channel and grayscale; videos "
                    "their frame rate, size and audio.")
    p.add_argument("--checkpoint", "-c", required=True,
                   help="checkpoint folder, state folder or bundled name (pix2pix, CycleGAN, CUT)")
    p.add_argument("--input", "-i", required=True,
                   help="folder, image or video file, or text file with one path per line")
    p.add_argument("--output", "-o", required=True,
                   help="output folder (or a file path when INPUT is one image or video)")
    p.add_argument("--direction", default="AtoB", choices=DIRECTIONS,
                   help="which generator of a two-way bundle (default AtoB)")
    p.add_argument("--glob", help="only files matching this pattern, e.g. '*.jpg' or 'day/**/*.png' "
                                  "(default: every image and video suffix this converter reads)")
    p.add_argument("--format", choices=sorted(set(FORMATS)), help="write this format (default: keep each file's)")
    p.add_argument("--quality", type=int, default=95, help="JPEG / WebP quality (default 95)")
    p.add_argument("--size", type=int, metavar="N", help="first shrink the longer side to at most N pixels")
    p.add_argument("--scale", default="auto", metavar="{auto,train,native,N}",
                   help="the scale the net works at: train = shorter side shrunk to the training crop size, the "
                        "result upsampled with the input's own fine detail put back; native = the input's "
                        "resolution; N = a shorter side of N pixels (default auto: train for CycleGAN and CUT, "
                        "native for pix2pix; docs/convert.md)")
    p.add_argument("--degrid", action=argparse.BooleanOptionalAction, default=None,
                   help="take the grid of a ResNet generator's up-sampling lattice out of its change to the "
                        "image (default: as the bundle says; the bundled CPU models do, published weights not)")
    p.add_argument("--tile", type=int, default=1536, metavar="N",
                   help="images with a side longer than N run in overlapping N-pixel tiles with blended seams, "
                        "so memory stays bounded (default 1536; 0 = never tile)")
    p.add_argument("--tile-overlap", type=int, default=128, metavar="PX", help="tile overlap (default 128)")
    p.add_argument("--max-pixels", type=int, default=120_000_000, metavar="N",
                   help="refuse (and list) images of more than N pixels, before decoding them (default "
                        "120,000,000: above any 50-megapixel photo, far below what would exhaust memory)")
    p.add_argument("--batch-size", type=int, help="images of equal size per net call (default: 8 on CUDA, 1 on the "
                                                  "CPU, where batching does not pay; bench/convert.py)")
    p.add_argument("--workers", type=int, help="decode/encode threads beside the net (default: 4 on CUDA, 0 on "
                                               "the CPU, where they only compete with it)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ... (default auto)")
    p.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16"),
                   help="auto: on the CPU bf16 where the CPU has bf16 arithmetic and timing the net both ways "
                        "shows it faster (once per machine and shape; else fp32), bf16 on CUDA")
    p.add_argument("--channels-last", action="store_true", help="channels-last memory format (often faster on GPU)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the generator with frozen weights (pays off on large batches of files)")
    p.add_argument("--winograd", action=argparse.BooleanOptionalAction, default=None,
                   help="3x3 convolutions as Winograd F(4x4,3x3), ~1e-4 from direct convolution (default: in "
                        "fp32 on the CPU where it timed faster on this machine; --winograd / --no-winograd decide "
                        "without timing)")
    p.add_argument("--seed", type=int, default=0,
                   help="pix2pix (BatchNorm + dropout) nets: the dropout masks, so the same command gives the same "
                        "pixels (default 0)")
    p.add_argument("--eval", action="store_true",
                   help="pix2pix nets: the official --eval protocol (running statistics, dropout off) instead of "
                        "the paper's (each image's statistics, dropout on)")
    p.add_argument("--skip-existing", action=argparse.BooleanOptionalAction, default=True,
                   help="leave outputs that already exist (default on: a re-run resumes)")
    p.add_argument("--overwrite-inputs", action="store_true",
                   help="allow OUTPUT to be INPUT or a folder inside it")
    p.add_argument("--side-by-side", action="store_true", help="write input|output pairs for review")
    p.add_argument("--dry-run", action="store_true", help="list what would be converted and exit")
    return p


def cmd_convert(argv: list[str]) -> int:
    a = _parser().parse_args(argv)
    if a.batch_size is not None and a.batch_size < 1:
        raise OptionError("--batch-size must be at least 1")
    if a.workers is not None and a.workers < 0:
        raise OptionError("--workers cannot be negative")
    if a.tile < 0 or a.tile_overlap < 0 or (a.size is not None and a.size < 1):
        raise OptionError("--tile, --tile-overlap and --size must be positive")
    if 0 < a.tile < MIN_TILE:
        raise OptionError(f"--tile {a.tile}: a tile must be at least {MIN_TILE} px (the net's border and the "
                          f"overlap would leave nothing of a smaller one), or 0 to never tile")
    if a.glob and (Path(a.glob).is_absolute() or ".." in Path(a.glob).parts):
        raise OptionError(f"--glob {a.glob!r}: a pattern is matched inside --input; give a relative one such as "
                          f"'*.jpg' or 'day/**/*.png'")
    if not 1 <= a.quality <= 100:
        raise OptionError(f"--quality is between 1 and 100, got {a.quality}")
    if a.max_pixels < 1:
        raise OptionError("--max-pixels must be positive")
    from translate.device import resolve_device

    resolve_device(a.device)  # a device that cannot run is said before any folder is made
    from translate.inference.convert import (
        Report,
        auto_workers,
        plan_conversion,
        printable,
        run_conversion,
        write_errors,
    )

    plan = plan_conversion(Path(a.input), Path(a.output), a.glob, a.format, a.skip_existing, a.overwrite_inputs)
    if a.dry_run:
        for job in plan.jobs:
            print(f"{printable(job.src)} -> {printable(job.dst)}")
        print(f"would convert {len(plan.jobs):,} file(s); {len(plan.skipped):,} already exist and would be skipped")
        return 0
    if not plan.jobs:
        write_errors(plan, Report())  # removes an error list that no longer applies
        print(f"nothing to convert: {len(plan.skipped):,} output(s) already exist in {plan.out_root} "
              f"(--no-skip-existing converts them again)")
        return 0
    _check_writable(plan.out_root)
    from translate.inference import ImageTranslator

    translator = ImageTranslator.from_pretrained(
        a.checkpoint, a.direction, a.device, precision=a.precision, tile=a.tile or None,
        tile_overlap=a.tile_overlap, channels_last=a.channels_last, compile=a.compile,
        winograd=a.winograd, seed=a.seed, eval_mode=a.eval, scale=a.scale, degrid=a.degrid)
    if translator.config.get("norm") == "batch":
        print(f"protocol: {translator.protocol}", file=sys.stderr)
    print(f"scale: {translator.scale_note}", file=sys.stderr)
    if translator.lattice:
        print(f"degrid: the {translator.lattice}-pixel up-sampling grid taken out of each change (--no-degrid: "
              f"the net's raw output)", file=sys.stderr)
    print(f"precision: {translator.precision_reason}", file=sys.stderr)
    batch_size, workers = auto_workers(translator.device)
    batch_size = a.batch_size or batch_size
    workers = workers if a.workers is None else a.workers
    report = run_conversion(translator, plan, batch_size, workers, a.size, a.quality, a.side_by_side,
                            max_pixels=a.max_pixels)
    print(f"{report.summary()} ({translator.precision_name})", file=sys.stderr if report.failed else sys.stdout)
    return 1 if report.failed else 0


def _check_writable(folder: Path) -> None:
    """An OUTPUT that cannot be written is one line before any image is read (not a failure per image)."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ConvertError(f"`output` {folder} cannot be written ({e.strerror or e}); pick a folder you can "
                           f"write to") from None
