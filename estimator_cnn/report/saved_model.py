"""--mode=export: the model_dir's checkpoint as a SavedModel that plain TensorFlow can serve.

Each export writes a new version folder EXPORT_DIR/<version> (1, 2, ...), the layout
TensorFlow Serving loads. The SavedModel's `serving_default` signature takes `x`, a
float32 batch [None, 28, 28] of images in [0, 1], and returns `classes`, `class_names`
and `probabilities`; an empty batch [0, 28, 28] gets empty ones.
"""

import os
import shutil
import tempfile

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.model import model_fn
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base.fashion_mnist import CLASS_NAMES, IMAGE_SIZE
from estimator_cnn.base.errors import UserError

INPUT_NAME = "x"
SIGNATURE_NAME = "serving_default"
OUTPUT_NAMES = ("classes", "class_names", "probabilities")
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def serving_input_receiver_fn():
  """Feeds the placeholder `x` of images [None, 28, 28] to the model_fn as its features."""
  images = tf.compat.v1.placeholder(tf.float32, [None, IMAGE_SIZE, IMAGE_SIZE], name=INPUT_NAME)
  return tf_estimator.export.ServingInputReceiver({model_fn.FEATURE_KEY: images},
                                                  {INPUT_NAME: images})


def model_fn_with_class_names(features, labels, mode, params, config):
  """model_fn, with the predicted class's name as `class_names` beside its predictions, and an
  empty result for an empty batch."""
  if mode != tf_estimator.ModeKeys.PREDICT:
    return model_fn.model_fn(features, labels, mode, params, config)
  images = features[model_fn.FEATURE_KEY]
  count = tf.shape(images)[0]
  # oneDNN's convolution fails on an empty batch: the network sees one blank image instead,
  # and its answer is sliced off.
  at_least_one = tf.cond(count > 0, lambda: images,
                         lambda: tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE], images.dtype))
  spec = model_fn.model_fn({**features, model_fn.FEATURE_KEY: at_least_one}, labels, mode,
                           params, config)
  predictions = {name: value[:count] for name, value in spec.predictions.items()}
  class_names = tf.gather(tf.constant(CLASS_NAMES), predictions["classes"], name="class_names")
  predictions = {**predictions, "class_names": class_names}
  return spec._replace(predictions=predictions, export_outputs={
      SIGNATURE_NAME: tf_estimator.export.PredictOutput(predictions)})


def with_class_names(estimator):
  """An Estimator on the same model_dir, config and params whose model_fn adds `class_names`."""
  return tf_estimator.Estimator(model_fn_with_class_names, model_dir=estimator.model_dir,
                                config=estimator.config, params=estimator.params)


def holds_saved_model(folder):
  return any(os.path.isfile(os.path.join(folder, name)) for name in _SAVED_MODEL_FILES)


def versions(export_dir):
  """The integer names of export_dir's version folders, ascending."""
  if not os.path.isdir(export_dir):
    return []
  return sorted(int(name) for name in os.listdir(export_dir)
                if name.isdigit() and os.path.isdir(os.path.join(export_dir, name)))


def next_version(export_dir):
  """1 + the highest version in export_dir, 1 when there is none."""
  return max(versions(export_dir), default=0) + 1


def check_export_dir(export_dir):
  """Raises UserError unless a new SavedModel version may be written into export_dir."""
  if os.path.exists(export_dir) and not os.path.isdir(export_dir):
    raise UserError(f"--export_dir={export_dir} is a file: pass a folder path")
  if os.path.isdir(export_dir):
    if holds_saved_model(export_dir):
      raise UserError(f"--export_dir={export_dir} holds a SavedModel itself, not in version "
                      "folders: pass another --export_dir")
    version_names = {str(version) for version in versions(export_dir)}
    if any(name not in version_names for name in os.listdir(export_dir)):
      raise UserError(f"--export_dir={export_dir} holds files that are not a SavedModel version "
                      "folder: pass a new or empty folder, or one of earlier exports")
    if not os.access(export_dir, os.W_OK):
      raise UserError(f"--export_dir={export_dir} is not writable: pick a folder you can write "
                      "to")
  existing = os.path.dirname(os.path.abspath(export_dir))
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.access(existing, os.W_OK):
    raise UserError(f"--export_dir={export_dir} is not writable: pick a folder you can write to")


def export_saved_model(estimator, export_dir, checkpoint_path=None):
  """Exports checkpoint_path (default: the latest) to a new version folder of export_dir;
  returns that folder.

  Estimator.export_saved_model writes a timestamped folder under a base
  folder: the base is a temporary folder next to export_dir, and the new
  SavedModel is renamed to export_dir/<next version> only once it is complete.
  """
  base = os.path.abspath(export_dir)
  parent = os.path.dirname(base)
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=f".{os.path.basename(base)}.export-", dir=parent)
  try:
    exported = os.fsdecode(estimator.export_saved_model(staging, serving_input_receiver_fn,
                                                        checkpoint_path=checkpoint_path))
    os.makedirs(base, exist_ok=True)
    version = next_version(base)
    os.rename(exported, os.path.join(base, str(version)))
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  return os.path.join(export_dir, str(version))
