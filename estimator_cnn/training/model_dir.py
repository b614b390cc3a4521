"""The model_dir: fresh run folders, the saved network params, checks before anything is written."""

import datetime
import json
import os

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError

PARAMS_FILE = "params.json"


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


def check_writable_folder(path, flag):
  """Raises UserError when --flag's path is empty, a file, or in a place that cannot be written."""
  if not path:
    raise UserError(f"--{flag} is empty: pass a folder path")
  if os.path.exists(path) and not os.path.isdir(path):
    raise UserError(f"--{flag}={path} is a file, not a folder: pass a folder path")
  existing = os.path.abspath(path)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.access(existing, os.W_OK):
    raise UserError(f"--{flag}={path} is not writable: pick a folder you can write to")


def latest_checkpoint(model_dir):
  return tf.compat.v1.train.latest_checkpoint(model_dir) if os.path.isdir(model_dir) else None


def require_checkpoint(model_dir):
  """Returns the latest checkpoint of model_dir, or raises UserError saying how to make one."""
  if not os.path.isdir(model_dir):
    raise UserError(f"--model_dir={model_dir} does not exist: pass the folder training printed")
  checkpoint = latest_checkpoint(model_dir)
  if not checkpoint:
    raise UserError(f"no checkpoint in {model_dir}: train first, e.g. "
                    f"python run.py --mode=train --model_dir={model_dir}")
  return checkpoint


def load_params(model_dir):
  """The params saved by an earlier run, or {} when there are none."""
  path = os.path.join(model_dir, PARAMS_FILE)
  if not os.path.exists(path):
    return {}
  try:
    with open(path) as f:
      params = json.load(f)
  except (OSError, ValueError) as e:
    raise UserError(f"{path} is unreadable ({e}): restore it or delete it and pass the network "
                    "flags explicitly") from e
  if not isinstance(params, dict):
    raise UserError(f"{path} does not hold a JSON object: restore it or delete it")
  return params


def save_params(model_dir, params):
  """Writes params.json atomically, so an interrupted write never leaves half a file."""
  files.write_json(os.path.join(model_dir, PARAMS_FILE), params, sort_keys=True)


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
