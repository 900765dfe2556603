"""`translate info`: this machine as the speed choices see it, and what they chose here."""

from __future__ import annotations

import argparse
import os

from translate.cli import Formatter


def cmd_info(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate info", formatter_class=Formatter,
        description="Print the CPU, its bf16 features, threads and torch build, then every speed choice timed on "
                    "this machine (precision auto, Winograd, narrow channels-last convolutions), by net and "
                    "shape, with the timings behind it. Choices are timed the first time a net runs at a shape "
                    "and kept in the cache folder; --forget clears them.",
        epilog="examples:\n  translate info\n  translate info --forget   # time everything again on next use")
    p.add_argument("--forget", action="store_true", help="delete the remembered timings")
    a = p.parse_args(argv)
    import torch

    from translate.accel.autotune import (
        MIN_GAIN,
        MIN_PATH_GAIN,
        best_fp32,
        cache_file,
        cpu_bf16_flags,
        read_cache,
        takes_bf16,
    )
    from translate.device import cpu_model

    if a.forget:
        cache_file().unlink(missing_ok=True)
        print(f"forgot the timings in {cache_file()}")
        return 0
    flags = cpu_bf16_flags()
    print(f"CPU:      {cpu_model()}, {torch.get_num_threads()} threads; bf16 arithmetic: "
          f"{', '.join(flags) if flags else 'none (precision auto stays fp32)'}")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(f"GPU:      {gpu}")
    print(f"torch:    {torch.__version__}; oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}; "
          f"huge pages for torch's buffers: {os.environ.get('THP_MEM_ALLOC_ENABLE', '0')} (set by the command)")
    entries = {k: v for k, v in read_cache().items() if isinstance(v, dict)}
    print(f"timed choices ({cache_file()}): bf16 when {MIN_GAIN:.2f}x faster than the best fp32 candidate, a "
          f"speed path when {MIN_PATH_GAIN:.2f}x faster than plain fp32")
    if not entries:
        print("  none yet: they are timed the first time a net runs (train, convert, the demo)")
    for entry in entries.values():
        times = entry.get("times", {})
        if not times:
            continue
        best = "bf16" if takes_bf16(times) else best_fp32(times)  # the rule choose() applied
        shape = "x".join(map(str, entry.get("shape", [])))
        what = "training" if entry.get("training") else "inference"
        timing = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in times.items())
        print(f"  {entry.get('net', '?')} {shape} {what}: {best} ({timing})")
    return 0
