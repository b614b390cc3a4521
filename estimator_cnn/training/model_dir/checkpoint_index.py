"""model_dir's `checkpoint` file, tf.estimator's index of its checkpoints (the latest named first):
read without TensorFlow's error logs, and rewritten so that TensorFlow finds a given checkpoint."""

import os

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_files

INDEX_FILE = "checkpoint"


def index_state(model_dir):
  """model_dir's `checkpoint` file as TensorFlow reads it, or None when it is missing or
  unreadable (TensorFlow raises ValueError for an empty one, UnicodeDecodeError for bytes)."""
  if not os.path.isdir(model_dir):
    return None
  try:
    return tf.compat.v1.train.get_checkpoint_state(model_dir)
  except ValueError:
    return None


def index_is_unreadable(model_dir):
  """Whether model_dir has a `checkpoint` file that TensorFlow cannot read."""
  return os.path.isfile(os.path.join(model_dir, INDEX_FILE)) and index_state(model_dir) is None


def index_leads_to(model_dir, checkpoint):
  """Whether TensorFlow, reading model_dir's `checkpoint` file, finds checkpoint as the latest
  and every listed one in model_dir (an earlier release wrote ../model.ckpt-0 there)."""
  state = index_state(model_dir)
  folder = os.path.abspath(model_dir)
  return bool(state) and os.path.abspath(state.model_checkpoint_path) == os.path.abspath(
      checkpoint) and all(os.path.dirname(os.path.abspath(path)) == folder
                          for path in state.all_model_checkpoint_paths)


def write_index(model_dir, checkpoints):
  """Rewrites model_dir's `checkpoint` file to list checkpoints (oldest first; the last is the
  latest) by their names, relative to model_dir as tf.estimator writes them.

  TensorFlow rewrites a relative path relative to a relative save_dir (z1 and
  model.ckpt-0 would give ../model.ckpt-0) and keeps it under an absolute one: the
  folder is passed absolute, whatever form model_dir has.
  """
  names = [os.path.basename(checkpoint) for checkpoint in checkpoints]
  tf.compat.v1.train.update_checkpoint_state(os.path.abspath(model_dir), names[-1],
                                             all_model_checkpoint_paths=names)


def listed_before(model_dir, checkpoint):
  """The checkpoints older than checkpoint that model_dir's `checkpoint` file lists and whose
  files are still there, as paths in model_dir; [] when it is unreadable."""
  state = index_state(model_dir)
  listed = [os.path.join(model_dir, os.path.basename(path))
            for path in (state.all_model_checkpoint_paths if state else [])]
  return [path for path in listed
          if checkpoint_files.CHECKPOINT_NAME.fullmatch(os.path.basename(path))
          and checkpoint_files.checkpoint_step(path) < checkpoint_files.checkpoint_step(checkpoint)
          and checkpoint_files.files_of(path)]


def _named_checkpoint(model_dir):
  """The checkpoint model_dir's `checkpoint` file names, as a path in model_dir, or None when
  there is no such file or it is unreadable (empty, garbled, not text).

  Read without tf.train.latest_checkpoint, which logs an error when its files are
  gone. Raises UserError when it names another tool's checkpoint.
  """
  state = index_state(model_dir)
  if not (state and state.model_checkpoint_path):
    return None
  named = os.path.join(model_dir, os.path.basename(state.model_checkpoint_path))
  if not checkpoint_files.CHECKPOINT_NAME.fullmatch(os.path.basename(named)):
    raise checkpoint_files.another_tools(model_dir, named)
  return named


def latest(model_dir):
  """The checkpoint the `checkpoint` file names; without a readable one, the newest on disk; or
  None."""
  named = _named_checkpoint(model_dir)
  if named is None:
    on_disk = checkpoint_files.checkpoints_on_disk(model_dir)
    return on_disk[0] if on_disk else None
  return named
