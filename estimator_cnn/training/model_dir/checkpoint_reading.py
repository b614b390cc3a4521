"""One checkpoint read in full, every tensor, from a copy that stays whole while a training
deletes it; a checkpoint whose files change while it is read is told from a damaged one."""

import os
import shutil
import tempfile
import typing

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_files


class FullRead(typing.NamedTuple):
  """A checkpoint read in full: its {variable: shape}, or, when it does not read, why not."""
  shapes: typing.Optional[dict]  # None when it does not read.
  why_not: typing.Optional[str]  # None when it reads.


class CheckpointRead(typing.NamedTuple):
  """A checkpoint read in full (FullRead's shapes and why_not) from path, itself or a copy."""
  path: str
  shapes: typing.Optional[dict]
  why_not: typing.Optional[str]


class ChangedWhileRead(Exception):
  """The checkpoints changed while one was read: a training saved a newer one or deleted it."""


def read_in_full(checkpoint):
  """The checkpoint's FullRead.

  Why not: its files are gone, or one is missing, short or corrupt; reading every
  tensor finds a data file cut short, not only a bad .index.
  """
  if not os.path.exists(checkpoint + ".index"):
    return FullRead(None, "its files are gone")
  try:
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint)
    shapes = reader.get_variable_to_shape_map()
    for name in shapes:
      reader.get_tensor(name)
  except (tf.errors.OpError, ValueError, IndexError) as e:
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    return FullRead(None, message.splitlines()[0])
  return FullRead(shapes, None)


def _copy(checkpoint, names, folder):
  """A copy in folder of the checkpoint's files `names`, hard links where it can; None when a file
  was deleted meanwhile. Linked or open, the files stay whole though a training deletes them."""
  for name in names:
    source, target = (os.path.join(path, name) for path in (os.path.dirname(checkpoint), folder))
    try:
      os.link(source, target)
    except FileNotFoundError:
      return None
    except OSError:  # Another file system, or another user's files: a copy.
      try:
        shutil.copyfile(source, target)
      except FileNotFoundError:
        return None
  return os.path.join(folder, os.path.basename(checkpoint))


def read_unless_deleted(checkpoint, folder=None):
  """The CheckpointRead of the checkpoint, or of a copy in a new folder inside folder.

  Raises ChangedWhileRead when its files changed while it was read (a training
  deleted it), UserError when it is another tool's.
  """
  names = checkpoint_files.files_of(checkpoint)
  path = _copy(checkpoint, names, tempfile.mkdtemp(dir=folder)) if folder and names else checkpoint
  if path is None:
    raise ChangedWhileRead(checkpoint)
  shapes, why_not = read_in_full(path)
  if shapes is None and checkpoint_files.files_of(checkpoint) != names:
    raise ChangedWhileRead(checkpoint)
  if shapes is not None and "global_step" not in shapes:
    raise checkpoint_files.another_tools(os.path.dirname(checkpoint), checkpoint)
  return CheckpointRead(path, shapes, why_not)
