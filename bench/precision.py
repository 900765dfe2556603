"""What `--precision auto` and the automatic speed paths see on this machine: each candidate's time per pass
(fp32 plain, fp32 with each speed path, bf16 autocast) on the published and bundled generator shapes, timed
by the same function the library uses (translate/accel/autotune.py), and bf16's accuracy on the bundles.

  python bench/precision.py                # the CPU, its bf16 flags, then one table
  (stop other jobs first: on 2 cores anything else running halves the figures)

Rows: inference at the working scale (one image) and training (forward + backward of one generator, the
part of a step that `auto` times), ResNet-9 ngf 64 (the published CycleGAN nets) and ResNet-6 ngf 32 (the
bundles). PSNR: each bundle's example photos through the default precision against fp32.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import numpy as np
    import torch
    from PIL import Image

    import translate
    from translate.accel import speed_paths
    from translate.accel.autotune import cpu_bf16_flags, measure
    from translate.device import cpu_model
    from translate.nets.spec import build_net, net_spec

    print(f"CPU: {cpu_model()}; bf16 flags: {', '.join(cpu_bf16_flags()) or 'none'}; "
          f"{torch.get_num_threads()} threads; torch {torch.__version__}")
    print("| net | size | pass | fp32 plain | fp32 + speed paths (best) | bf16 autocast | bf16 / best fp32 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for ngf, blocks, size, training in ((64, 9, 256, False), (32, 6, 128, False), (64, 9, 128, True),
                                        (32, 6, 128, True)):
        torch.manual_seed(0)
        net = build_net(net_spec("resnet_g", in_channels=3, out_channels=3, ngf=ngf, n_blocks=blocks,
                                 norm="instance"))
        net.requires_grad_(training)
        timed, _ = speed_paths(torch.device("cpu"), training)
        candidates = {"plain": [], **{name: [(name, switch)] for name, switch in timed}, "all": timed}
        times = measure(net, (1, 3, size, size), training, candidates, bf16=True)
        best = min((k for k in times if k != "bf16"), key=times.get)
        print(f"| ResNet-{blocks} ngf {ngf} | {size} px | {'train' if training else 'infer'} | "
              f"{times['plain'] * 1000:.0f} ms | {times[best] * 1000:.0f} ms ({best}) | {times['bf16'] * 1000:.0f} ms "
              f"| {times[best] / times['bf16']:.2f}x |", flush=True)
    examples = ROOT / "translate" / "demo" / "examples"
    print("\n| bundle | direction | default precision | min PSNR from fp32 | max level difference |")
    print("| --- | --- | --- | --- | --- |")
    for bundle, direction, domain in (("horse2zebra", "AtoB", "horse"), ("horse2zebra", "BtoA", "zebra"),
                                      ("summer2winter_yosemite", "AtoB", "summer"),
                                      ("summer2winter_yosemite", "BtoA", "winter"), ("apple2orange", "AtoB", "apple"),
                                      ("apple2orange", "BtoA", "orange"), ("facades", "AtoB", "labels")):
        fp32 = translate.load(bundle, direction=direction, precision="fp32")
        default = translate.load(bundle, direction=direction)
        psnr, worst = [], 0
        for path in sorted(examples.glob(f"{domain}_*.jpg")):
            image = Image.open(path).convert("RGB")
            a = np.asarray(fp32(image)).astype(float)
            b = np.asarray(default(image)).astype(float)
            mse = ((a - b) ** 2).mean()
            psnr.append(10 * np.log10(255**2 / mse) if mse else float("inf"))
            worst = max(worst, int(np.abs(a - b).max()))
        print(f"| {bundle} | {direction} | {default.precision_name} | {min(psnr):.1f} dB | {worst} |")


if __name__ == "__main__":
    main()
