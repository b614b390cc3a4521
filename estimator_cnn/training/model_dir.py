"""The model_dir: fresh run folders, the saved params and training plan, its checkpoints read
while a training may write them, checks before writing."""

import collections
import datetime
import json
import os
import re
import shlex
import shutil
import tempfile

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import param_rules

PARAMS_FILE = "params.json"
PLAN_KEY = param_rules.PLAN_KEY
DAMAGED_SUFFIX = ".damaged"  # Files of a damaged checkpoint, renamed by set_aside.
INDEX_FILE = "checkpoint"  # tf.estimator's list of checkpoints, the latest named first.


def new_run_dir(root, tag):
  """Creates and returns root/YYYYmmdd-HHMMSS-TAG (with a suffix if it exists)."""
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  path = os.path.join(root, f"{stamp}-{tag}")
  candidate, suffix = path, 1
  while os.path.exists(candidate):
    suffix += 1
    candidate = f"{path}-{suffix}"
  os.makedirs(candidate)
  return candidate


# TensorFlow reads a checkpoint's path as a file pattern where it looks checkpoints up and where it
# deletes old ones (kGlobbingChars of tensorflow/core/platform/file_system_helper.cc).
GLOB_CHARACTERS = "*?[\\"
CHECKPOINT_NAME = re.compile(r"model\.ckpt-(\d+)")  # tf.estimator's: model.ckpt-GLOBAL_STEP.
# Lookups of the checkpoint to read while a training keeps saving newer ones and deleting older
# ones, before giving up: each lookup that fails saw a checkpoint deleted after it was found.
LOOKUPS = 20


def check_path_characters(model_dir):
  """Raises UserError when model_dir holds a character TensorFlow reads as a file pattern.

  On TF 2.15 and 2.21 alike tf.train.latest_checkpoint finds nothing under run[1]/
  (nor under run\\1/), and tf.estimator's clean-up of run[1]/model.ckpt-N deletes
  run1/model.ckpt-N instead.
  """
  found = [character for character in GLOB_CHARACTERS if character in model_dir]
  if found:
    raise UserError(f"--model_dir={model_dir} holds {' '.join(found)}, which TensorFlow reads as "
                    "a file pattern when it looks up and deletes checkpoints: pick or rename a "
                    f"folder without {' '.join(GLOB_CHARACTERS)}")


def _another_tools(model_dir, checkpoint):
  return UserError(
      f"{model_dir} holds checkpoints of another tool ({os.path.basename(checkpoint)} has no "
      "global_step: tf.train.Checkpoint or CheckpointManager, not tf.estimator): pass another "
      "--model_dir, or move those files and the `checkpoint` file out of it")


def _named_checkpoint(model_dir):
  """The checkpoint model_dir's `checkpoint` file names, as a path in model_dir, or None when
  there is no such file or it is unreadable (empty, garbled, not text).

  Read without tf.train.latest_checkpoint, which logs an error when its files are
  gone. Raises UserError when it names another tool's checkpoint.
  """
  state = _index_state(model_dir)
  if not (state and state.model_checkpoint_path):
    return None
  named = os.path.join(model_dir, os.path.basename(state.model_checkpoint_path))
  if not CHECKPOINT_NAME.fullmatch(os.path.basename(named)):
    raise _another_tools(model_dir, named)
  return named


def _index_state(model_dir):
  """model_dir's `checkpoint` file as TensorFlow reads it, or None when it is missing or
  unreadable (TensorFlow raises ValueError for an empty one, UnicodeDecodeError for bytes)."""
  if not os.path.isdir(model_dir):
    return None
  try:
    return tf.compat.v1.train.get_checkpoint_state(model_dir)
  except ValueError:
    return None


def _index_is_unreadable(model_dir):
  return os.path.isfile(os.path.join(model_dir, INDEX_FILE)) and _index_state(model_dir) is None


def _index_leads_to(model_dir, checkpoint):
  """Whether TensorFlow, reading model_dir's `checkpoint` file, finds checkpoint as the latest
  and every listed one in model_dir (an earlier release wrote ../model.ckpt-0 there)."""
  state = _index_state(model_dir)
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


def _latest(model_dir):
  """The checkpoint the `checkpoint` file names; without a readable one, the newest on disk; or
  None."""
  named = _named_checkpoint(model_dir)
  if named is None:
    on_disk = checkpoints_on_disk(model_dir)
    return on_disk[0] if on_disk else None
  return named


def checkpoints_on_disk(model_dir):
  """The checkpoint prefixes of model_dir whose .index file exists, newest (highest step) first."""
  steps = []
  for name in os.listdir(model_dir) if os.path.isdir(model_dir) else []:
    match = re.fullmatch(r"model\.ckpt-(\d+)\.index", name)
    if match:
      steps.append(int(match.group(1)))
  return [os.path.join(model_dir, f"model.ckpt-{step}") for step in sorted(steps, reverse=True)]


def checkpoint_step(checkpoint):
  """The global step in a checkpoint's name, model.ckpt-STEP."""
  return int(checkpoint.rsplit("-", 1)[1])


def _files_of(checkpoint):
  """The names of the checkpoint's files (.index, .data-*, .meta), sorted; [] when none is left."""
  folder, prefix = os.path.split(checkpoint)
  try:
    names = os.listdir(folder)
  except FileNotFoundError:
    return []
  return sorted(name for name in names
                if re.fullmatch(re.escape(prefix) + r"\.(index|meta|data-\d+-of-\d+)", name))


def read_in_full(checkpoint):
  """({variable: shape}, None) once every tensor of the checkpoint reads, else (None, why not).

  Why not: its files are gone, or one is missing, short or corrupt; reading every
  tensor finds a data file cut short, not only a bad .index.
  """
  if not os.path.exists(checkpoint + ".index"):
    return None, "its files are gone"
  try:
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint)
    shapes = reader.get_variable_to_shape_map()
    for name in shapes:
      reader.get_tensor(name)
  except (tf.errors.OpError, ValueError, IndexError) as e:
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    return None, message.splitlines()[0]
  return shapes, None


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


def _read_unless_deleted(checkpoint, folder=None):
  """(shapes, why not, the path read): read_in_full's of the checkpoint, or of a copy in folder;
  shapes and why not both None when its files changed while it was read (a training deleted it).
  Raises UserError when it is another tool's."""
  names = _files_of(checkpoint)
  read = _copy(checkpoint, names, tempfile.mkdtemp(dir=folder)) if folder and names else checkpoint
  shapes, reason = read_in_full(read) if read else (None, None)
  if shapes is None and _files_of(checkpoint) != names:
    return None, None, read
  if shapes is not None and "global_step" not in shapes:
    raise _another_tools(os.path.dirname(checkpoint), checkpoint)
  return shapes, reason, read


def _readable_steps(model_dir, leaving_out):
  return ", ".join(str(checkpoint_step(checkpoint)) for checkpoint in checkpoints_on_disk(model_dir)
                   if checkpoint != leaving_out and read_in_full(checkpoint)[0] is not None)


def checkpoint_to_read(model_dir, step, folder):
  """(model.ckpt-STEP, else the latest checkpoint; a copy of it in folder; its {variable: shape}).

  The copy is read in full and stays whole (hard links) while a training saves newer
  checkpoints and deletes older ones: a checkpoint deleted before it was copied is
  looked up again, and one is called damaged only when its files are still those
  read. Raises UserError when there is none, when it is damaged (the message names
  the readable ones to pick with --checkpoint), or when it is another tool's.
  """
  if not os.path.isdir(model_dir):
    raise UserError(f"--model_dir={model_dir} does not exist: pass the folder training printed")
  for _ in range(LOOKUPS):
    named = _latest(model_dir)
    wanted = os.path.join(model_dir, f"model.ckpt-{step}") if step is not None else named
    if wanted is None:
      raise UserError(f"no checkpoint in {model_dir}: train first, e.g. "
                      f"python run.py --mode=train --model_dir={shlex.quote(model_dir)}")
    shapes, reason, copy = _read_unless_deleted(wanted, folder)
    if shapes is not None:
      return wanted, copy, shapes
    if reason and (step is not None or _latest(model_dir) == named):
      steps = _readable_steps(model_dir, wanted)
      if step is not None and reason == "its files are gone":
        raise UserError(f"no checkpoint of step {step} in {model_dir}"
                        + (f": pass --checkpoint with one of {steps}" if steps else ""))
      raise UserError(f"checkpoint {wanted} is damaged ({reason})"
                      + (f": pass --checkpoint=STEP with a readable one, {steps}" if steps
                         else ", and no other is readable: restore it or train afresh"))
  raise UserError(f"the checkpoints of {model_dir} were deleted while read, {LOOKUPS} times: "
                  "run again")


# What training's start reads from model_dir (training_start).
Start = collections.namedtuple("Start", "params plan checkpoint shapes damaged")


def training_start(model_dir):
  """What training's start needs from model_dir, each file read once, as a Start.

  params and plan: params.json's model params ({} when there is none) and training
  plan (None). checkpoint: the one training resumes from, the latest (the newest on
  disk when the `checkpoint` file is missing or unreadable), else the newest
  readable one, or None; shapes: its {variable: shape}; damaged: {checkpoint:
  why} of those found damaged before it, which set_aside renames. Raises UserError
  when checkpoints exist but none is readable, or when they are another tool's.
  """
  saved = _read_params_file(model_dir)
  params = {key: value for key, value in saved.items() if key != PLAN_KEY}
  plan = _checked_plan(model_dir, saved.get(PLAN_KEY))
  for _ in range(LOOKUPS):
    named = _latest(model_dir)
    if named is None:
      return Start(params, plan, None, None, {})
    damaged = {}
    for checkpoint in [named, *(path for path in checkpoints_on_disk(model_dir) if path != named)]:
      shapes, reason, _ = _read_unless_deleted(checkpoint)
      if shapes is not None:
        return Start(params, plan, checkpoint, shapes, damaged)
      if reason is None:
        break  # Deleted while read (by a process that does not take the lock): look again.
      damaged[checkpoint] = reason
    else:
      raise UserError(f"checkpoint {named} is damaged ({damaged[named]}) and no other in "
                      f"{model_dir} is readable: restore it, or train afresh in another "
                      "--model_dir")
  raise UserError(f"the checkpoints of {model_dir} were deleted while read, {LOOKUPS} times: "
                  "run again")


def _listed_before(model_dir, checkpoint):
  """The checkpoints older than checkpoint that model_dir's `checkpoint` file lists and whose
  files are still there, as paths in model_dir; [] when it is unreadable."""
  state = _index_state(model_dir)
  listed = [os.path.join(model_dir, os.path.basename(path))
            for path in (state.all_model_checkpoint_paths if state else [])]
  return [path for path in listed if CHECKPOINT_NAME.fullmatch(os.path.basename(path))
          and checkpoint_step(path) < checkpoint_step(checkpoint) and _files_of(path)]


def set_aside(model_dir, start, printer=print):
  """Makes model_dir resumable from start's checkpoint, deleting nothing.

  Renames the files of start's damaged checkpoints to NAME.damaged and says so in a
  line; rewrites the `checkpoint` file when TensorFlow would not find start's
  checkpoint through it (it names a damaged, missing or misplaced one, or is missing
  or unreadable), listing the older ones it listed; renames an unreadable one to
  checkpoint.damaged, in a line, when there is no checkpoint to name.
  """
  for checkpoint in start.damaged:
    for name in _files_of(checkpoint):
      path = os.path.join(model_dir, name)
      os.replace(path, path + DAMAGED_SUFFIX)
  if start.checkpoint is None:
    if _index_is_unreadable(model_dir):
      index = os.path.join(model_dir, INDEX_FILE)
      os.replace(index, index + DAMAGED_SUFFIX)
      printer(f"{index} is unreadable and {model_dir} holds no checkpoint: it is kept as "
              f"{INDEX_FILE}{DAMAGED_SUFFIX}; training starts afresh")
    return
  if not _index_leads_to(model_dir, start.checkpoint):
    write_index(model_dir, [*_listed_before(model_dir, start.checkpoint), start.checkpoint])
  if start.damaged:
    named, why = next(iter(start.damaged.items()))
    printer(f"checkpoint {named} is damaged ({why}): its files are kept as *{DAMAGED_SUFFIX}; "
            f"training resumes from {start.checkpoint}")


def _read_params_file(model_dir):
  """params.json as a dict, {} when there is none."""
  path = os.path.join(model_dir, PARAMS_FILE)
  if not os.path.exists(path):
    return {}
  try:
    with open(path) as f:
      saved = json.load(f)
  except (OSError, ValueError) as e:
    raise UserError(f"{path} is unreadable ({e}): restore it or delete it and pass the network "
                    "flags explicitly") from e
  if not isinstance(saved, dict):
    raise UserError(f"{path} does not hold a JSON object: restore it or delete it")
  return saved


def load_params(model_dir):
  """The model params saved by an earlier run (its plan left out), or {} when there are none."""
  return {key: value for key, value in _read_params_file(model_dir).items() if key != PLAN_KEY}


def _checked_plan(model_dir, plan):
  """params.json's training plan ({"batch_size", "last_step"[, "recipe"]}) or None, checked
  (model.param_rules.check_plan)."""
  if plan is not None:
    param_rules.check_plan(os.path.join(model_dir, PARAMS_FILE), plan)
  return plan


def save_params(model_dir, params, plan=None):
  """Writes params.json, with the training plan if given, atomically: never half a file."""
  saved = {**params, PLAN_KEY: plan} if plan else params
  files.write_json(os.path.join(model_dir, PARAMS_FILE), saved, sort_keys=True, allow_nan=False)


def check_checkpoint_matches(checkpoint, stored, expected):
  """Raises UserError when the checkpoint's {variable: shape}, stored, are not those of the network
  expected: another network's or optimizer's."""
  missing = sorted(set(expected) - set(stored))
  different = sorted(name for name, shape in expected.items()
                     if name in stored and list(stored[name]) != shape)
  if missing or different:
    detail = (f"variable {different[0]} has shape {stored[different[0]]}, this network needs "
              f"{expected[different[0]]}" if different
              else f"it lacks {len(missing)} variable(s) this network needs, e.g. {missing[0]}")
    raise UserError(f"{os.path.dirname(checkpoint)} holds a checkpoint of another network or "
                    f"optimizer ({detail}): use a fresh --model_dir or the flags it was "
                    "trained with")
