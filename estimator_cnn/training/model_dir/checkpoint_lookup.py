"""The checkpoint to read (eval, predict, export) or to resume training from, looked up while a
training saves newer checkpoints and deletes older ones: a lookup that saw the checkpoints change
is made again, up to LOOKUPS times."""

import os
import shlex
import typing

from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import checkpoint_files
from estimator_cnn.training.model_dir import checkpoint_index
from estimator_cnn.training.model_dir import checkpoint_reading

# Lookups of the checkpoint to read while a training keeps saving newer ones and deleting older
# ones, before giving up: each lookup that fails saw a checkpoint deleted after it was found.
LOOKUPS = 20


class CheckpointToRead(typing.NamedTuple):
  """The checkpoint to read, the whole copy of it to read from, and its {variable: shape}."""
  checkpoint: str
  copy: str
  shapes: dict


class Resumable(typing.NamedTuple):
  """The checkpoint training resumes from (None: there is none, training starts afresh), its
  {variable: shape} (None with it), and {checkpoint: why} of those found damaged before it."""
  checkpoint: typing.Optional[str]
  shapes: typing.Optional[dict]
  damaged: dict


def _looked_up(model_dir, lookup):
  """lookup()'s result, lookup made again each time it raises ChangedWhileRead, LOOKUPS times."""
  for _ in range(LOOKUPS):
    try:
      return lookup()
    except checkpoint_reading.ChangedWhileRead:
      continue
  raise UserError(f"the checkpoints of {model_dir} were deleted while read, {LOOKUPS} times: "
                  "run again")


def _readable_steps(model_dir, leaving_out):
  return ", ".join(str(checkpoint_files.checkpoint_step(checkpoint))
                   for checkpoint in checkpoint_files.checkpoints_on_disk(model_dir)
                   if checkpoint != leaving_out
                   and checkpoint_reading.read_in_full(checkpoint).shapes is not None)


def checkpoint_to_read(model_dir, step, folder):
  """The CheckpointToRead of model.ckpt-STEP, else of the latest checkpoint, copied into folder.

  The copy is read in full and stays whole (hard links) while a training saves newer
  checkpoints and deletes older ones: a checkpoint deleted before it was copied is
  looked up again, and one is called damaged only when its files are still those
  read. Raises UserError when there is none, when it is damaged (the message names
  the readable ones to pick with --checkpoint), or when it is another tool's.
  """
  if not os.path.isdir(model_dir):
    raise UserError(f"--model_dir={model_dir} does not exist: pass the folder training printed")
  return _looked_up(model_dir, lambda: _read_once(model_dir, step, folder))


def _read_once(model_dir, step, folder):
  named = checkpoint_index.latest(model_dir)
  wanted = os.path.join(model_dir, f"model.ckpt-{step}") if step is not None else named
  if wanted is None:
    raise UserError(f"no checkpoint in {model_dir}: train first, e.g. "
                    f"python run.py --mode=train --model_dir={shlex.quote(model_dir)}")
  read = checkpoint_reading.read_unless_deleted(wanted, folder)
  if read.shapes is not None:
    return CheckpointToRead(wanted, read.path, read.shapes)
  if step is None and checkpoint_index.latest(model_dir) != named:
    raise checkpoint_reading.ChangedWhileRead(wanted)  # A newer one is the latest now.
  steps = _readable_steps(model_dir, wanted)
  if step is not None and read.why_not == "its files are gone":
    raise UserError(f"no checkpoint of step {step} in {model_dir}"
                    + (f": pass --checkpoint with one of {steps}" if steps else ""))
  raise UserError(f"checkpoint {wanted} is damaged ({read.why_not})"
                  + (f": pass --checkpoint=STEP with a readable one, {steps}" if steps
                     else ", and no other is readable: restore it or train afresh"))


def checkpoint_to_resume(model_dir):
  """The Resumable of model_dir: the latest checkpoint (the newest on disk when the `checkpoint`
  file is missing or unreadable), else the newest readable one.

  Raises UserError when checkpoints exist but none is readable, or when they are
  another tool's.
  """
  return _looked_up(model_dir, lambda: _resumable_once(model_dir))


def _resumable_once(model_dir):
  named = checkpoint_index.latest(model_dir)
  if named is None:
    return Resumable(None, None, {})
  damaged = {}
  others = (path for path in checkpoint_files.checkpoints_on_disk(model_dir) if path != named)
  for checkpoint in [named, *others]:
    read = checkpoint_reading.read_unless_deleted(checkpoint)
    if read.shapes is not None:
      return Resumable(checkpoint, read.shapes, damaged)
    damaged[checkpoint] = read.why_not
  raise UserError(f"checkpoint {named} is damaged ({damaged[named]}) and no other in "
                  f"{model_dir} is readable: restore it, or train afresh in another "
                  "--model_dir")
