"""What a valid value of each model param and of the training plan is, wherever it comes from.

flags/core.py's validators use RULES for the flags that set a param, and
check_saved and check_plan hold a model_dir's params.json to the same rules,
and to those of the keys no flag sets (the recipe's schedule, the plan).
JSON's true is no number here, though Python's bool is an int. No TensorFlow
and no absl here: flags and the library both import it.
"""

import json
import typing

import numpy as np

from estimator_cnn.base.errors import UserError
from estimator_cnn.model import presets

# params.json's entry for the training plan, apart from the model params: batch_size,
# last_step (the absolute global step it trains to) and recipe (--recipe's name, if any).
PLAN_KEY = "plan"
MAX_GLOBAL_STEP = 2**63 - 1  # The global step is an int64.
# Training computes in float32: a larger learning rate is infinite there (1e308 is inf).
MAX_LEARNING_RATE = float(np.finfo(np.float32).max)


class Rule(typing.NamedTuple):
  """A valid value in words (after "must be"), and the test of one."""
  expected: str
  accepts: typing.Callable[[object], bool]


def _integer(value):
  return isinstance(value, int) and not isinstance(value, bool)


def _number(value):
  return isinstance(value, (int, float)) and not isinstance(value, bool)


def _one_of(names):
  return Rule(f"one of {', '.join(names)}", lambda value: isinstance(value, str) and value in names)


def _integer_from(low):
  return Rule(f"an integer >= {low}",
              lambda value: _integer(value) and low <= value <= MAX_GLOBAL_STEP)


FRACTION = Rule("in [0, 1)", lambda value: _number(value) and 0 <= value < 1)
RULES = {
    "preset": _one_of(presets.PRESETS),
    "conv_blocks": Rule(" or ".join(map(str, presets.CONV_BLOCKS)),
                        lambda value: _integer(value) and value in presets.CONV_BLOCKS),
    "dropout_pool2": FRACTION,
    "dropout_pool3": FRACTION,
    "dropout_dense": FRACTION,
    "optimizer": _one_of(presets.OPTIMIZERS),
    # NaN fails both comparisons, infinity the second.
    "learning_rate": Rule(f"> 0 and at most {MAX_LEARNING_RATE:.4g} (float32's largest number, "
                          "which training computes in)",
                          lambda value: _number(value) and 0 < value <= MAX_LEARNING_RATE),
    "dtype": _one_of(presets.DTYPES),
    "lr_schedule": _one_of(presets.LR_SCHEDULES),
    "warmup_steps": _integer_from(0),
    "decay_steps": _integer_from(1),
    "label_smoothing": FRACTION,
}
PLAN_RULES = {
    "batch_size": _integer_from(1),
    "last_step": _integer_from(1),
    "recipe": _one_of(presets.TUNED_RECIPES),
}
_PLAN_NEEDS = ("batch_size", "last_step")


def _shown(value):
  """value as params.json spells it: "three", true, 1.5, Infinity."""
  try:
    return json.dumps(value)
  except (TypeError, ValueError):
    return repr(value)


# The params flags set: a saved value the flag replaces is not checked.
FLAG_PARAMS = (*presets.DEFAULT_PARAMS, "preset", "dtype")


def check_saved(path, saved, given=()):
  """Raises UserError, naming path, the key and its value, for the first model param of saved
  (params.json's, its plan left out) that breaks its rule or that no rule knows; params whose
  flags are `given` explicitly are not checked (those flags replace them)."""
  preset = presets.PRESETS.get(saved.get("preset", presets.DEFAULT_PRESET))
  for key, value in saved.items():
    if key in given and key in FLAG_PARAMS:
      continue
    if key not in RULES:
      raise UserError(f"{path} holds an unknown key, {_shown(key)} (set to {_shown(value)}): "
                      f"delete it there; the keys are {', '.join(RULES)} and {PLAN_KEY}")
    if not RULES[key].accepts(value):
      flag = f", or pass --{key}" if key in FLAG_PARAMS else ""
      raise UserError(f"{path}: {key} must be {RULES[key].expected}, not {_shown(value)}: correct "
                      f"it there{flag}")
    if key in presets.DEFAULT_PARAMS and preset and key not in preset.preset_params:
      raise UserError(f"{path}: {key} ({_shown(value)}) does not apply to preset {preset.name}'s "
                      "network: delete it there")


def check_plan(path, plan):
  """Raises UserError, naming path, the key and its value, unless plan (params.json's training
  plan) is a JSON object of batch_size, last_step and optionally recipe, each by its rule."""
  fix = f"correct it there, or delete the {PLAN_KEY!r} entry and pass --steps or --max_steps"
  if not isinstance(plan, dict):
    raise UserError(f"{path}: {PLAN_KEY} must be a JSON object of batch_size, last_step and "
                    f"optionally recipe, not {_shown(plan)}: {fix}")
  for key in _PLAN_NEEDS:
    if key not in plan:
      raise UserError(f"{path}: {PLAN_KEY} lacks {key}: {fix}")
  for key, value in plan.items():
    if key not in PLAN_RULES:
      raise UserError(f"{path}: {PLAN_KEY} holds an unknown key, {_shown(key)} (set to "
                      f"{_shown(value)}): {fix}")
    if not PLAN_RULES[key].accepts(value):
      raise UserError(f"{path}: {PLAN_KEY}.{key} must be {PLAN_RULES[key].expected}, not "
                      f"{_shown(value)}: {fix}")
