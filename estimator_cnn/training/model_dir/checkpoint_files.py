"""A model_dir's checkpoints on disk as tf.estimator names them (model.ckpt-STEP), their files."""

import os
import re

from estimator_cnn.base.errors import UserError

CHECKPOINT_NAME = re.compile(r"model\.ckpt-(\d+)")  # tf.estimator's: model.ckpt-GLOBAL_STEP.


def checkpoint_step(checkpoint):
  """The global step in a checkpoint's name, model.ckpt-STEP."""
  return int(checkpoint.rsplit("-", 1)[1])


def checkpoints_on_disk(model_dir):
  """The checkpoint prefixes of model_dir whose .index file exists, newest (highest step) first."""
  steps = []
  for name in os.listdir(model_dir) if os.path.isdir(model_dir) else []:
    match = re.fullmatch(r"model\.ckpt-(\d+)\.index", name)
    if match:
      steps.append(int(match.group(1)))
  return [os.path.join(model_dir, f"model.ckpt-{step}") for step in sorted(steps, reverse=True)]


def files_of(checkpoint):
  """The names of the checkpoint's files (.index, .data-*, .meta), sorted; [] when none is left."""
  folder, prefix = os.path.split(checkpoint)
  try:
    names = os.listdir(folder)
  except FileNotFoundError:
    return []
  return sorted(name for name in names
                if re.fullmatch(re.escape(prefix) + r"\.(index|meta|data-\d+-of-\d+)", name))


def another_tools(model_dir, checkpoint):
  """The UserError for model_dir whose checkpoint, without a global_step, is not tf.estimator's."""
  return UserError(
      f"{model_dir} holds checkpoints of another tool ({os.path.basename(checkpoint)} has no "
      "global_step: tf.train.Checkpoint or CheckpointManager, not tf.estimator): pass another "
      "--model_dir, or move those files and the `checkpoint` file out of it")
