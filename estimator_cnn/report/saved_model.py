"""--mode=export: the model_dir's checkpoint as a SavedModel that plain TensorFlow can serve.

The SavedModel's `serving_default` signature takes `x`, a float32 batch
[None, 28, 28] of images in [0, 1], and returns `classes` and `probabilities`.
"""

import os
import shutil
import tempfile

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.model import model_fn
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base.fashion_mnist import IMAGE_SIZE
from estimator_cnn.base.errors import UserError

INPUT_NAME = "x"
SIGNATURE_NAME = "serving_default"
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def serving_input_receiver_fn():
  """Feeds the placeholder `x` of images [None, 28, 28] to the model_fn as its features."""
  images = tf.compat.v1.placeholder(tf.float32, [None, IMAGE_SIZE, IMAGE_SIZE], name=INPUT_NAME)
  return tf_estimator.export.ServingInputReceiver({model_fn.FEATURE_KEY: images},
                                                  {INPUT_NAME: images})


def holds_saved_model(folder):
  return any(os.path.isfile(os.path.join(folder, name)) for name in _SAVED_MODEL_FILES)


def check_export_dir(export_dir, overwrite):
  """Raises UserError unless a SavedModel may be written to export_dir."""
  if os.path.exists(export_dir) and not os.path.isdir(export_dir):
    raise UserError(f"--export_dir={export_dir} is a file: pass a folder path")
  if os.path.isdir(export_dir) and os.listdir(export_dir):
    if not holds_saved_model(export_dir):
      raise UserError(f"--export_dir={export_dir} holds files that are not a SavedModel: "
                      "pass a new or empty folder")
    if not overwrite:
      raise UserError(f"--export_dir={export_dir} already holds a SavedModel: pass --overwrite "
                      "to replace it, or another --export_dir")
  existing = os.path.dirname(os.path.abspath(export_dir))
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.access(existing, os.W_OK):
    raise UserError(f"--export_dir={export_dir} is not writable: pick a folder you can write to")


def export_saved_model(estimator, export_dir):
  """Exports the latest checkpoint to export_dir, replacing its content only once that succeeded.

  Estimator.export_saved_model writes a timestamped folder under a base
  folder: the base is a temporary folder next to export_dir, and the new
  SavedModel is renamed into place.
  """
  export_dir = os.path.abspath(export_dir)
  parent = os.path.dirname(export_dir)
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=f".{os.path.basename(export_dir)}.export-", dir=parent)
  try:
    exported = os.fsdecode(estimator.export_saved_model(staging, serving_input_receiver_fn))
    if os.path.isdir(export_dir) and os.listdir(export_dir):
      previous = os.path.join(staging, "previous")
      os.replace(export_dir, previous)
      try:
        os.replace(exported, export_dir)
      except OSError:
        os.replace(previous, export_dir)
        raise
    else:
      os.replace(exported, export_dir)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
