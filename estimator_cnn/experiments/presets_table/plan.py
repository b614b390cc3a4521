"""What each preset trains here: its recipe's budget, capped by the options' steps or minutes.

Each preset trains in OUTPUT_DIR/runs/<preset>-<key>, <key> hashing its plan,
seed and data (experiments.runs): a finished preset (its result.json) is
skipped, an interrupted one resumes from its checkpoint. No TensorFlow here.
"""

import shlex
import typing

from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments import runs
from estimator_cnn.model import presets

TIME_CAPS_MINUTES = {"tf_tutorial": 20}


class TableOptions(typing.NamedTuple):
  """What the table's command line picks."""
  presets: typing.Sequence[str]  # Names; all presets when empty.
  budget_steps: typing.Optional[int]  # At most this many steps per preset.
  max_minutes_per_preset: typing.Optional[float]  # At most this long, on top of TIME_CAPS_MINUTES.
  output_dir: str
  data_dir: typing.Optional[str]  # None: searched.
  seed: int
  log_every: int  # Steps between progress lines.


class Plan(typing.NamedTuple):
  """One preset's training here: its recipe's budget, capped by steps or minutes."""
  preset: presets.Preset
  batch_size: int
  recipe_steps: int
  steps: int
  validate_every: typing.Optional[int]
  max_minutes: typing.Optional[float]
  seed: int
  model_dir: str


def pick_presets(names):
  """The presets named, in the table's order; all of them when names is empty."""
  unknown = [name for name in names if name not in presets.PRESETS]
  if unknown:
    raise UserError(f"unknown preset {unknown[0]} in --presets: pick from "
                    f"{', '.join(presets.PRESETS)}")
  return [name for name in presets.PRESETS if not names or name in names]


def make_plan(preset, train_size, options, fingerprint):
  """The preset's Plan: its recipe's steps and validation interval, capped by the options."""
  recipe = preset.recipe
  recipe_steps = recipe.train_steps(train_size, recipe.batch_size)
  steps = min(recipe_steps, options.budget_steps or recipe_steps)
  caps = [cap for cap in (options.max_minutes_per_preset, TIME_CAPS_MINUTES.get(preset.name))
          if cap]
  validate_every = recipe.validation_interval(train_size, recipe.batch_size)
  spec = {"params": preset.params, "batch_size": recipe.batch_size, "steps": steps,
          "validate_every": validate_every, "max_minutes": min(caps, default=None),
          "seed": options.seed, "data": fingerprint}
  return Plan(preset, recipe.batch_size, recipe_steps, steps, validate_every,
              spec["max_minutes"], options.seed,
              runs.run_dir(options.output_dir, preset.name, spec))


def run_py_command(plan, steps, data_dir):
  """The run.py command training like this table did for `steps` steps."""
  args = ["python", "run.py", f"--preset={plan.preset.name}", "--mode=train_and_eval",
          f"--seed={plan.seed}"]
  if steps < plan.recipe_steps:
    args.append(f"--steps={steps}")
  if data_dir:
    args.append(f"--data_dir={data_dir}")
  return shlex.join(args)
