"""params.json: the model params a model_dir was trained with, and the training plan it records."""

import json
import os
import typing

from estimator_cnn.base import json_files
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import param_rules

PARAMS_FILE = "params.json"


class SavedParams(typing.NamedTuple):
  """params.json read once: the model params ({} without the file) and the plan (None without)."""
  params: dict
  plan: typing.Optional[dict]  # {"batch_size", "last_step"[, "recipe"]}, checked.


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


def _model_params(saved):
  return {key: value for key, value in saved.items() if key != param_rules.PLAN_KEY}


def load_params(model_dir):
  """The model params saved by an earlier run (its plan left out), or {} when there are none."""
  return _model_params(_read_params_file(model_dir))


def load_params_and_plan(model_dir):
  """params.json's SavedParams; raises UserError when its plan breaks model.param_rules's."""
  saved = _read_params_file(model_dir)
  plan = saved.get(param_rules.PLAN_KEY)
  if plan is not None:
    param_rules.check_plan(os.path.join(model_dir, PARAMS_FILE), plan)
  return SavedParams(_model_params(saved), plan)


def save_params(model_dir, params, plan=None):
  """Writes params.json, with the training plan if given, atomically: never half a file."""
  saved = {**params, param_rules.PLAN_KEY: plan} if plan else params
  json_files.write_json(os.path.join(model_dir, PARAMS_FILE), saved, sort_keys=True,
                        allow_nan=False)
