"""`translate export` (a run's generators as a stand-alone bundle) and `translate list` (every name the
command line accepts, read from the registries)."""

from __future__ import annotations

import argparse

from translate.cli import Formatter


# ------------------------------------------------------------------------------------------ export
def cmd_export(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate export", formatter_class=Formatter,
        description="Write the generators of a run folder (its newest state; EMA weights when kept) or of a "
                    "bundle as a stand-alone bundle folder: config.json + model.safetensors, nothing else. "
                    "--half stores the weights in fp16 (half the bytes); they are restored to fp32 on load.",
        epilog="examples:\n"
               "  translate export --checkpoint checkpoints/run-h2z-128 --out checkpoints/horse2zebra --half\n"
               "  translate export --checkpoint runs/cut-h2z --checkpoint runs/cut-z2h --out checkpoints/h2z_cut")
    p.add_argument("--checkpoint", required=True, action="append", metavar="DIR",
                   help="a run folder or a bundle; give two one-direction ones (CUT runs trained AtoB and BtoA) "
                        "to write one bundle that translates both ways")
    p.add_argument("--out", required=True, metavar="DIR", help="the bundle folder to write")
    p.add_argument("--half", action="store_true", help="store floating-point weights in fp16")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    a = p.parse_args(argv)
    from translate.checkpoint import export_bundle

    res = export_bundle(a.checkpoint, a.out, half=a.half, overwrite=a.overwrite)
    note = f", largest fp16 rounding {res['max_abs_rounding']:.2e}" if a.half else ""
    print(f"wrote {a.out} ({res['bytes'] / 2**20:.1f} MiB of weights{note})")
    return 0


# -------------------------------------------------------------------------------------------- list
def cmd_list(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="translate list", description="List what can be named on the command line.")
    p.parse_args(argv)
    from translate.data.download import official_datasets
    from translate.registry import DATASETS, MODELS, NETS, OBJECTIVES, PRETRAINED

    print("models:     " + ", ".join(MODELS.names()))
    print("objectives: " + ", ".join(OBJECTIVES.names()))
    print("nets:       " + ", ".join(NETS.names()))
    named = [n for n in DATASETS.names() if n not in official_datasets()]
    print("data:       " + ", ".join(named) + ", or a folder of images")
    print("downloadable data (pix2pix, cyclegan): " + ", ".join(official_datasets()))
    print("pretrained weights: " + ", ".join(PRETRAINED.names()))
    return 0
