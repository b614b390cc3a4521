"""The params' rules: the flags and params.json accept the same values; JSON's true is no number;
every key the program writes passes, any other is refused in one line naming file, key and value."""

import json

from absl import flags
import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets
from tests.helpers import parse_run_flags

PATH = "m/params.json"
# Values of each flag's param, valid or not, as the command line spells them.
FLAG_VALUES = {
    "conv_blocks": ["1", "2", "3", "4"],
    "dropout_pool2": ["-0.1", "0", "0.5", "1", "nan"],
    "dropout_dense": ["0", "0.999", "1", "1.5", "inf"],
    "learning_rate": ["0", "1e-30", "0.001", "3e38", "1e308", "-1", "nan", "inf"],
    "optimizer": ["adam", "gradient_descent", "sgdx"],
    "dtype": ["float32", "bfloat16", "float16"],
    "preset": [*presets.PRESETS, "blog"],
}


def _as_in_json(name, text):
  """The flag's value as params.json holds it: a string for the named choices, else a number."""
  if param_rules.RULES[name].expected.startswith("one of"):
    return text
  return float(text) if text in ("nan", "inf") else json.loads(text)


def _flag_accepts(name, text):
  try:
    return parse_run_flags(f"--{name}={text}")[name].value is not None
  except flags.Error:
    return False


@pytest.mark.parametrize("name", FLAG_VALUES)
def test_a_flag_and_params_json_accept_the_same_values(name):
  for text in FLAG_VALUES[name]:
    assert (_flag_accepts(name, text)
            == param_rules.RULES[name].accepts(_as_in_json(name, text))), (name, text)


@pytest.mark.parametrize("key", ["conv_blocks", "dropout_dense", "learning_rate", "warmup_steps",
                                 "decay_steps", "label_smoothing"])
def test_json_true_is_not_a_number(key):
  assert not param_rules.RULES[key].accepts(True)
  with pytest.raises(UserError, match=f"^{PATH}: {key} must be .*, not true: correct it there"):
    param_rules.check_saved(PATH, {key: True})


def test_what_the_program_writes_passes():
  for preset in presets.PRESETS.values():
    param_rules.check_saved(PATH, preset.params)
  for name in presets.TUNED_RECIPES:
    param_rules.check_saved(PATH, presets.run_params(name, "float32"))
    param_rules.check_plan(PATH, {"batch_size": 200, "last_step": 450, "recipe": name})


@pytest.mark.parametrize("saved,message", [
    ({"conv_blocks": "three"}, 'conv_blocks must be 2 or 3, not "three": correct it there, or '
     "pass --conv_blocks"),
    ({"conv_blocks": 3.0}, "conv_blocks must be 2 or 3, not 3.0"),
    ({"dropout_dense": 1.5}, "dropout_dense must be in [0, 1), not 1.5"),
    ({"optimizer": "sgdx"}, 'optimizer must be one of adam, gradient_descent, not "sgdx"'),
    ({"learning_rate": "fast"}, 'learning_rate must be > 0 and at most 3.403e+38'),
    ({"learning_rate": float("inf")}, "learning_rate must be > 0 and at most 3.403e+38 (float32's "
     "largest number, which training computes in), not Infinity"),
    ({"preset": "blog"}, 'preset must be one of blog_cnn, '),
    ({"lr_schedule": "cosine"}, 'lr_schedule must be one of constant, warmup_cosine, not "cosine": '
     "correct it there\n"),
    ({"warmup_steps": -1}, "warmup_steps must be an integer >= 0, not -1"),
    ({"colour": "red"}, 'holds an unknown key, "colour" (set to "red"): delete it there'),
    ({"preset": "keras_cnn", "conv_blocks": 3}, "conv_blocks (3) does not apply to preset "
     "keras_cnn's network: delete it there"),
])
def test_a_broken_param_is_one_line_naming_file_key_and_value(saved, message):
  with pytest.raises(UserError) as raised:
    param_rules.check_saved(PATH, saved)
  assert message in str(raised.value) + "\n" and str(raised.value).startswith(PATH)
  assert "\n" not in str(raised.value)


def test_a_param_whose_flag_is_given_is_not_checked():
  param_rules.check_saved(PATH, {"learning_rate": "fast"}, given={"learning_rate"})
  with pytest.raises(UserError, match="unknown key"):
    param_rules.check_saved(PATH, {"batch_size": 5}, given={"batch_size"})


@pytest.mark.parametrize("plan,message", [
    ([], "plan must be a JSON object of batch_size, last_step and optionally recipe, not []"),
    ({"batch_size": 10}, "plan lacks last_step"),
    ({"batch_size": True, "last_step": 12}, "plan.batch_size must be an integer >= 1, not true"),
    ({"batch_size": 10, "last_step": 0}, "plan.last_step must be an integer >= 1, not 0"),
    ({"batch_size": 10, "last_step": 12, "recipe": "slow"},
     'plan.recipe must be one of fast, not "slow"'),
    ({"batch_size": 10, "last_step": 12, "steps": 5}, 'plan holds an unknown key, "steps"'),
])
def test_a_broken_plan_is_one_line(plan, message):
  with pytest.raises(UserError) as raised:
    param_rules.check_plan(PATH, plan)
  assert str(raised.value).startswith(f"{PATH}: {message}")
  assert str(raised.value).endswith(": correct it there, or delete the 'plan' entry and pass "
                                    "--steps or --max_steps")
