"""Run a `translate` command line in this process (under torchrun) and afterwards dump this rank's
weights, so that tests/test_distributed.py can compare the ranks with each other and with one process.

  torchrun --standalone --nproc-per-node 2 tests/ddp_worker.py DUMP_DIR train --model ... --out RUN
"""

import sys
from pathlib import Path

from safetensors.torch import save_file

import translate.training.trainer as trainer_module

dump = Path(sys.argv[1])
original_fit = trainer_module.Trainer.fit


def fit_and_dump(self):
    out = original_fit(self)
    dump.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
    save_file(weights, str(dump / f"rank{self.dist.rank}.safetensors"))
    return out


trainer_module.Trainer.fit = fit_and_dump
from translate.cli import main  # noqa: E402

sys.exit(main(sys.argv[2:]))
