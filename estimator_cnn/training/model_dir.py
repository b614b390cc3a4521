"""The model_dir: fresh run folders, the saved params and training plan, checks before writing."""

import datetime
import glob
import json
import os
import re

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError

PARAMS_FILE = "params.json"
# params.json's entry for the training plan, apart from the model params: batch_size,
# last_step (the absolute global step it trains to) and recipe (--recipe's name, if any).
PLAN_KEY = "plan"
DAMAGED_SUFFIX = ".damaged"  # Files of a damaged checkpoint, set aside by resume_checkpoint.


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


def latest_checkpoint(model_dir):
  return tf.compat.v1.train.latest_checkpoint(model_dir) if os.path.isdir(model_dir) else None


def require_checkpoint(model_dir, step=None):
  """The checkpoint to read: model.ckpt-STEP, else the latest; checked, never changed.

  Raises UserError when there is none, or when it is damaged: the message names
  the damaged one and the readable ones to pick with --checkpoint.
  """
  if not os.path.isdir(model_dir):
    raise UserError(f"--model_dir={model_dir} does not exist: pass the folder training printed")
  named, readable, damaged = sort_out(model_dir)
  wanted = os.path.join(model_dir, f"model.ckpt-{step}") if step is not None else named
  if wanted in readable:
    return wanted
  steps = ", ".join(str(checkpoint_step(checkpoint)) for checkpoint in readable)
  if wanted in damaged:
    raise UserError(f"checkpoint {wanted} is damaged ({damaged[wanted]})"
                    + (f": pass --checkpoint=STEP with a readable one, {steps}" if readable
                       else ", and no other is readable: restore it or train afresh"))
  if step is not None:
    raise UserError(f"no checkpoint of step {step} in {model_dir}"
                    + (f": pass --checkpoint with one of {steps}" if readable else ""))
  raise UserError(f"no checkpoint in {model_dir}: train first, e.g. "
                  f"python run.py --mode=train --model_dir={model_dir}")


def _resumable(model_dir):
  """sort_out's (named, readable, damaged) and the checkpoint training resumes from, or None."""
  named, readable, damaged = sort_out(model_dir)
  if named is None or named in readable:
    return named, readable, damaged, named
  if not readable:
    raise UserError(f"checkpoint {named} is damaged ({damaged[named]}) and no other in "
                    f"{model_dir} is readable: restore it, or train afresh in another "
                    "--model_dir")
  return named, readable, damaged, readable[0]


def readable_checkpoint(model_dir):
  """The checkpoint training will resume from (see resume_checkpoint), or None; changes nothing."""
  return _resumable(model_dir)[-1]


def resume_checkpoint(model_dir, printer=print):
  """The checkpoint training resumes from: the latest, else the newest readable one, or None.

  A damaged latest checkpoint is not deleted: the files of the damaged checkpoints
  newer than the newest readable one are renamed to NAME.damaged, the `checkpoint`
  index file is rewritten to the readable ones, and a line says so. Raises
  UserError when checkpoints exist but none is readable.
  """
  named, readable, damaged, resumed = _resumable(model_dir)
  if resumed == named:
    return resumed
  for checkpoint in damaged:
    if checkpoint_step(checkpoint) > checkpoint_step(resumed):
      for path in glob.glob(f"{glob.escape(checkpoint)}.*"):
        if not path.endswith(DAMAGED_SUFFIX):
          os.replace(path, path + DAMAGED_SUFFIX)
  tf.compat.v1.train.update_checkpoint_state(model_dir, resumed,
                                             all_model_checkpoint_paths=readable[::-1])
  printer(f"checkpoint {named} is damaged ({damaged[named]}): its files are kept as "
          f"*{DAMAGED_SUFFIX}; training resumes from {resumed}")
  return resumed


def checkpoints_on_disk(model_dir):
  """The checkpoint prefixes of model_dir whose .index file exists, newest (highest step) first."""
  steps = []
  for name in os.listdir(model_dir) if os.path.isdir(model_dir) else []:
    match = re.fullmatch(r"model\.ckpt-(\d+)\.index", name)
    if match:
      steps.append(int(match.group(1)))
  return [os.path.join(model_dir, f"model.ckpt-{step}") for step in sorted(steps, reverse=True)]


def damage(checkpoint):
  """Why the checkpoint cannot be restored (a file missing, short or corrupt), or None.

  Reads every tensor, so a data file cut short is found, not only a bad .index.
  """
  try:
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint)
    for name in reader.get_variable_to_shape_map():
      reader.get_tensor(name)
  except (tf.errors.OpError, ValueError, IndexError) as e:
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    return message.splitlines()[0]
  return None


def checkpoint_step(checkpoint):
  """The global step in a checkpoint's name, model.ckpt-STEP."""
  return int(checkpoint.rsplit("-", 1)[1])


def sort_out(model_dir):
  """(the checkpoint the `checkpoint` file names or None, readable ones, {damaged: why}).

  Readable and damaged are among the checkpoints on disk, newest first; the named one
  counts as damaged when its files are gone.
  """
  named = latest_checkpoint(model_dir)
  readable, damaged = [], {}
  for checkpoint in checkpoints_on_disk(model_dir):
    reason = damage(checkpoint)
    if reason:
      damaged[checkpoint] = reason
    else:
      readable.append(checkpoint)
  if named is None:
    state = tf.compat.v1.train.get_checkpoint_state(model_dir) if os.path.isdir(model_dir) else None
    if state and state.model_checkpoint_path:
      named = os.path.join(model_dir, os.path.basename(state.model_checkpoint_path))
      damaged.setdefault(named, "its files are gone")
  return named, readable, damaged


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


def load_plan(model_dir):
  """The training plan params.json records ({"batch_size", "last_step"[, "recipe"]}), or None."""
  plan = _read_params_file(model_dir).get(PLAN_KEY)
  if plan is not None and not (isinstance(plan, dict) and all(
      isinstance(plan.get(key), int) and plan[key] > 0 for key in ("batch_size", "last_step"))):
    raise UserError(f"{os.path.join(model_dir, PARAMS_FILE)} holds a damaged training plan "
                    f"({PLAN_KEY!r}): delete that entry, or pass --steps or --max_steps")
  return plan


def save_params(model_dir, params, plan=None):
  """Writes params.json, with the training plan if given, atomically: never half a file."""
  saved = {**params, PLAN_KEY: plan} if plan else params
  files.write_json(os.path.join(model_dir, PARAMS_FILE), saved, sort_keys=True)


def check_checkpoint_matches(checkpoint, expected_variables):
  """Raises UserError when the checkpoint is unreadable or was written by another network."""
  try:
    stored = dict(tf.compat.v1.train.list_variables(checkpoint))
  except tf.errors.OpError as e:
    reason = e.message.splitlines()[0] if e.message else type(e).__name__
    raise UserError(f"checkpoint {checkpoint} is unreadable ({reason}): it is damaged; remove "
                    f"its files and its lines in {os.path.dirname(checkpoint)}/checkpoint to "
                    "resume from the one before, or use a fresh --model_dir") from e
  missing = sorted(set(expected_variables) - set(stored))
  different = sorted(name for name, shape in expected_variables.items()
                     if name in stored and list(stored[name]) != shape)
  if missing or different:
    detail = (f"variable {different[0]} has shape {stored[different[0]]}, this network needs "
              f"{expected_variables[different[0]]}" if different
              else f"it lacks {len(missing)} variable(s) this network needs, e.g. {missing[0]}")
    raise UserError(f"{os.path.dirname(checkpoint)} holds a checkpoint of another network or "
                    f"optimizer ({detail}): use a fresh --model_dir or the flags it was "
                    "trained with")
