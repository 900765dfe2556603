"""`translate download`, `translate download-weights` and `translate import-official`: the commands
that bring data and weights from elsewhere. Fast --help: the name lists come from the torch-free registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from translate.cli import Formatter
from translate.config import DIRECTIONS
from translate.registry import GENERATORS, PRETRAINED, official_models


def cmd_download(argv: list[str]) -> int:
    from translate.data import download as dl

    names = dl.official_datasets()
    p = argparse.ArgumentParser(
        prog="translate download", formatter_class=Formatter,
        description="Download an official CycleGAN or pix2pix data set into ROOT/NAME (resumable, checked, "
                    "extracted atomically).",
        epilog="data sets: " + ", ".join(names) + "\n\nexamples:\n  translate download horse2zebra\n"
               "  translate download facades --root /data/gan\n\nTRANSLATE_MIRROR=URL replaces the official host.")
    p.add_argument("name", metavar="NAME", help="data set name")
    p.add_argument("--root", default="datasets", help="where data sets live (default: datasets)")
    p.add_argument("--sha256", help="expected SHA-256 of the archive, checked before extraction")
    a = p.parse_args(argv)
    dl.dataset_url(a.name)  # an unknown name fails before anything is written
    out = dl.download_dataset(a.name, Path(a.root), sha256=a.sha256)
    print(f"{a.name}: {out}")
    return 0


def cmd_download_weights(argv: list[str]) -> int:
    from translate.storage.catalog import weights_dir

    p = argparse.ArgumentParser(
        prog="translate download-weights", formatter_class=Formatter,
        description="Download a published pretrained generator, convert it and check it (its size, a strict "
                    "load, a test image giving finite output) into the per-user weights folder, where "
                    "`translate convert -c NAME`, translate.load(NAME) and the demo find it. An installed "
                    "published model takes over its bare name from the bundled one (which stays as NAME:bundled).",
        epilog="CycleGAN: " + ", ".join(PRETRAINED.names(model="cyclegan")) + "\npix2pix: "
               + ", ".join(PRETRAINED.names(model="pix2pix")) + "\nCUT, FastCUT: "
               + ", ".join(PRETRAINED.names(model="cut") + PRETRAINED.names(model="fastcut"))
               + "\n\nexamples:\n  translate download-weights horse2zebra   # horse -> zebra\n"
                 "  translate download-weights zebra2horse   # the other direction is its own file\n\n"
                 "The weights folder is $TRANSLATE_WEIGHTS, else $XDG_CACHE_HOME/translate/weights, else "
                 "~/.cache/translate/weights. TRANSLATE_MIRROR=URL replaces the official host.")
    p.add_argument("name", metavar="NAME", help="published model name (listed below)")
    p.add_argument("--out", help=f"folder to install into (default: {weights_dir()}/NAME)")
    p.add_argument("--sha256", help="expected SHA-256 of the .pth file")
    p.add_argument("--overwrite", action="store_true", help="download again and replace an installed copy")
    a = p.parse_args(argv)
    from translate.interop import published

    if published.installed(a.name, a.out) and not a.overwrite:
        print(f"{a.name}: already installed in {a.out or published.default_out(a.name)} (--overwrite fetches it "
              f"again)")
        return 0
    out = published.install_published(a.name, a.out, sha256=a.sha256, overwrite=a.overwrite)
    print(f"{a.name}: installed in {out}; `translate convert -c {a.name}` and the demo use it now")
    return 0


def cmd_import_official(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate import-official", formatter_class=Formatter,
        description="Convert generator weights saved by the official pytorch-CycleGAN-and-pix2pix code into our "
                    "checkpoint folder (read with torch.load(weights_only=True): no code in the file runs).",
        epilog="For CycleGAN give latest_net_G_A.pth (A->B) and optionally latest_net_G_B.pth (B->A); a published "
               "single-file model (latest_net_G.pth) is its A->B direction.\n\nexamples:\n"
               "  translate import-official horse2zebra.pth --model cyclegan --out checkpoints/horse2zebra\n"
               "  translate import-official latest_net_G_A.pth latest_net_G_B.pth --model cyclegan --out ckpt\n"
               "  translate import-official facades_label2photo.pth --model pix2pix --netG unet_256 --out ckpt")
    p.add_argument("files", nargs="+", metavar="FILE.pth")
    p.add_argument("--model", required=True, choices=official_models(),
                   help="the official code that wrote the file (cut, fastcut: the CUT code's latest_net_G.pth)")
    p.add_argument("--netG", choices=GENERATORS.names(),
                   help="expected architecture (default: recognised from the keys)")
    p.add_argument("--direction", default="AtoB", choices=DIRECTIONS,
                   help="the direction a single generator file translates (the official run's --direction; "
                        "default AtoB)")
    p.add_argument("--out", required=True, metavar="DIR", help="checkpoint folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    a = p.parse_args(argv)
    from translate.interop.official import import_official

    out = import_official(a.files, a.model, a.out, a.netG, direction=a.direction, overwrite=a.overwrite)
    import json

    cfg = json.loads((out / "config.json").read_text())
    print(f"wrote {out}: {cfg['official_netG']}, directions {', '.join(cfg['directions'])}", file=sys.stderr)
    return 0
