"""Dispatches run.py's --mode to what does it."""

from estimator_cnn.app import cluster
from estimator_cnn.app import modes
from estimator_cnn.app import train


def run(settings):
  """Runs settings.mode."""
  if settings.mode == "train":
    return train.train(settings)
  if settings.mode == "train_and_eval":
    return cluster.train_and_eval(settings)
  if settings.mode == "eval":
    return modes.evaluate_model_dir(settings)
  if settings.mode == "inspect":
    return modes.inspect_dataset(settings)
  if settings.mode == "export":
    return modes.export(settings)
  if settings.images:
    return modes.predict_files(settings)
  return modes.predict(settings)
