"""`translate export` (a run's generators as a stand-alone bundle) and `translate list` (every name the
command line accepts, read from the registries)."""

from __future__ import annotations

import argparse

from translate.cli import Formatter
from translate.config import DIRECTIONS
from translate.errors import OptionError


# ------------------------------------------------------------------------------------------ export
def cmd_export(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate export", formatter_class=Formatter,
        description="Write the generators of a run folder (its newest state; EMA weights when kept) or of a "
                    "bundle as a stand-alone bundle folder: config.json + model.safetensors, nothing else. "
                    "--half stores the weights in fp16 (half the bytes); they are restored to fp32 on load.",
        epilog="examples:\n"
               "  translate export --checkpoint checkpoints/run-h2z-128 --out checkpoints/horse2zebra --half\n"
               "  translate export --checkpoint runs/cut-h2z --checkpoint runs/cut-z2h --out checkpoints/h2z_cut\n"
               "  translate export --checkpoint horse2zebra --format onnx --direction BtoA --out zebra2horse.onnx")
    p.add_argument("--checkpoint", required=True, action="append", metavar="DIR",
                   help="a run folder, a bundle or a checkpoint name (`translate list`); give two one-direction "
                        "ones (CUT runs trained AtoB and BtoA) to write one bundle that translates both ways")
    p.add_argument("--out", required=True, metavar="DIR", help="the bundle folder to write")
    p.add_argument("--half", action="store_true", help="store floating-point weights in fp16")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--degrid", action=argparse.BooleanOptionalAction, default=None,
                   help="whether convert, eval and the demo take the grid of a ResNet generator's up-sampling "
                        "lattice out of its output by default (default: as the source says; off for a run)")
    p.add_argument("--format", choices=("bundle", "onnx"), default="bundle",
                   help="bundle: a translate bundle folder; onnx: one generator as an .onnx file for any image "
                        "size (multiples of the net's requirement), checked in ONNX Runtime (needs the onnx "
                        "extra) (default: bundle)")
    p.add_argument("--direction", choices=DIRECTIONS, default="AtoB",
                   help="with --format onnx: which generator (default AtoB)")
    a = p.parse_args(argv)
    from translate.storage.catalog import resolve_checkpoint

    a.checkpoint = [str(resolve_checkpoint(c)) for c in a.checkpoint]  # the names convert takes work here too
    from translate.storage.files import refuse_overlap

    refuse_overlap(a.out, a.checkpoint)  # before anything is read or written: --overwrite must not eat its source
    if a.format == "onnx":
        if len(a.checkpoint) != 1 or a.half:
            raise OptionError("--format onnx exports one generator of one --checkpoint, in fp32 (no --half)")
        from translate.interop.onnx_export import export_onnx

        res = export_onnx(a.checkpoint[0], a.out, a.direction, a.overwrite)
        sizes = ", ".join(f"{h}x{w}" for h, w in res["sizes"])
        print(f"wrote {a.out} ({res['bytes'] / 2**20:.1f} MiB; H and W multiples of {res['multiple']}); ONNX "
              f"Runtime vs PyTorch on {sizes}: max abs difference {res['max_abs_diff']:.1e}")
        if res["work_side"]:
            print(f"note: the graph runs at the size it is given; translate convert shrinks photos to a shorter "
                  f"side of {res['work_side']} px first and puts their finer detail back (its --scale), which "
                  f"this model was trained for")
        if res["degrid"]:
            print("note: the graph is the net alone; translate convert also takes the grid of its up-sampling "
                  "out of each output (the bundle's degrid, docs/convert.md)")
        return 0
    from translate.storage.checkpoint import checkpoint_config, export_bundle

    if a.degrid:  # refused now, not when a user first converts with the bundle
        from translate.inference.degrid import lattice_period

        for source in a.checkpoint:
            for spec in checkpoint_config(source)["nets"].values():
                lattice_period(spec, source)
    res = export_bundle(a.checkpoint, a.out, half=a.half, overwrite=a.overwrite, degrid=a.degrid)
    note = f", largest fp16 rounding {res['max_abs_rounding']:.2e}" if a.half else ""
    print(f"wrote {a.out} ({res['bytes'] / 2**20:.1f} MiB of weights{note})")
    return 0


# -------------------------------------------------------------------------------------------- list
def cmd_list(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="translate list", formatter_class=Formatter,
                                description="List what can be named on the command line, and the checkpoints "
                                            "a bare name finds.")
    p.parse_args(argv)
    from translate.data.download import official_datasets
    from translate.registry import DATASETS, MODELS, NETS, OBJECTIVES

    print("models:     " + ", ".join(MODELS.names()))
    print("objectives: " + ", ".join(OBJECTIVES.names()))
    print("nets:       " + ", ".join(NETS.names()))
    named = [n for n in DATASETS.names() if n not in official_datasets()]
    print("data:       " + ", ".join(named) + ", or a folder of images")
    print("downloadable data (pix2pix, cyclegan): " + ", ".join(official_datasets()))
    _list_checkpoints()
    return 0


def _list_checkpoints() -> None:
    """Every checkpoint a name finds (`convert -c NAME`, `translate.load(NAME)`, the demo), by source in lookup
    order, with what it does, where it came from, its architecture and training scale."""
    from translate.registry import PRETRAINED
    from translate.storage.catalog import Catalog, describe
    from translate.storage.checkpoint import CheckpointError, checkpoint_config

    catalog = Catalog()
    print("checkpoints (by name: `translate convert -c NAME`; NAME is the first of: your own, published, bundled; "
          "NAME:bundled, NAME:published or NAME:local picks one):")
    titles = {"local": "your own checkpoints", "published": "published weights (`translate download-weights`)",
              "bundled": "bundled with translate"}
    seen: set[str] = set()
    for source, root in catalog.roots():
        rows = []
        for hit in catalog.installed(source=source):
            if hit.path.parent != root:
                continue
            try:
                config = checkpoint_config(hit.path)
            except (CheckpointError, OSError, ValueError):
                continue  # not a checkpoint (or one being written): nothing to offer
            notes = [] if (hit.path / "model.safetensors").is_file() else ["a training run: its newest state"]
            if hit.name in seen:
                notes.append(f"the bare name means the one above; this one is {hit.qualified}")
            seen.add(hit.name)
            rows.append(f"  {hit.name:<24} {what_it_does(config)}\n  {'':<24} {describe(config, source)}"
                        + "".join(f"; {n}" for n in notes))
        print(f" {titles[source]}, {root}:" + ("" if rows else " none"))
        for row in rows:
            print(row)
    missing = [n for n in PRETRAINED.names() if not catalog.installed(n, "published")]
    print(f" published, not installed (`translate download-weights NAME`): {', '.join(missing) or 'none'}")


def what_it_does(config: dict) -> str:
    """"AtoB horse -> zebra, BtoA zebra -> horse" for a translator, "samples 10 classes" for a sampler."""
    if config.get("kind") != "translator":
        classes = config.get("class_names") or []
        return f"samples {len(classes)} classes" if classes else "samples"
    data = str(config.get("train_data", ""))
    a, _, b = data.partition("2")
    b = b.split("_")[0]  # summer2winter_yosemite: the domains are summer and winter
    directions = list(config.get("directions", {}))
    from translate.registry import MODELS

    paired = config.get("model") in MODELS and MODELS.info(config["model"])["data_kinds"] == ("paired",)
    if paired:  # one generator whose input is the side --direction named at training: its "AtoB" is forward
        return f"AtoB (one generator, trained on {data or '?'} with --direction {config.get('train_direction')})"
    if a and b:
        names = {"AtoB": f"{a} -> {b}", "BtoA": f"{b} -> {a}"}
        return ", ".join(f"{d} {names.get(d, '')}".strip() for d in directions)
    return ", ".join(directions)
