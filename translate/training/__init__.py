"""Training: the loop that runs any model's step (trainer.py), its learning-rate schedules, the generator EMA,
the run log (losses, plots, sample grids), run states for exact resume (state.py) and multi-process training
under torchrun (distributed.py). Nothing here names a model family: a model is a `GanModel` (models/base.py)."""
