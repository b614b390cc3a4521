"""Dispatches run.py's --mode to what does it, importing only that: --mode=inspect loads no
TensorFlow, so it needs neither tf-keras nor tf.estimator."""

import contextlib
import importlib

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.app import tf_config
from estimator_cnn.data import read_ahead

_ACTIONS = {
    "train": "estimator_cnn.app.train:train",
    "train_and_eval": "estimator_cnn.app.cluster:train_and_eval",
    "eval": "estimator_cnn.app.modes:evaluate_model_dir",
    "inspect": "estimator_cnn.app.inspect_data:inspect_dataset",
    "export": "estimator_cnn.app.modes:export",
}
# The modes whose action reads the dataset through data.read_ahead.load: it is read in a thread
# while the action's module imports TensorFlow.
_READ_AHEAD_MODES = ("train", "train_and_eval", "eval")


def run(settings):
  """Runs settings.mode, once its path flags are usable (settings.check_paths); the mode sees
  TF_CONFIG only if it runs cluster tasks (app.tf_config)."""
  settings_lib.check_paths(settings)
  if settings.mode == "predict":
    action = "estimator_cnn.app.modes:" + ("predict_files" if settings.images else "predict")
  else:
    action = _ACTIONS[settings.mode]
  module, function = action.split(":")
  with (tf_config.seen_by(settings.mode),
        read_ahead.reading(settings.data_dir) if settings.mode in _READ_AHEAD_MODES
        else contextlib.nullcontext()):
    return getattr(importlib.import_module(module), function)(settings)
