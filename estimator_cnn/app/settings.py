"""run.py's settings, resolved into model params and a training plan; settings are never changed.

Settings holds the flag values as typed fields and knows which were given
explicitly. The preset (--preset, else the model_dir's, else blog_cnn) sets the
defaults: its params and its recipe (model.presets). Flags given explicitly win.
Without any of PLAN_FLAGS, training continues the unfinished plan its model_dir's
params.json records (its batch size, up to its last step).
"""

import dataclasses
import socket
import typing

from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets


# Flags that set a training plan: given any, training follows them, not params.json's plan.
PLAN_FLAGS = ("steps", "max_steps", "epochs", "batch_size", "recipe")
# The longest names TensorFlow and the modes write: a checkpoint's shard before its merge, at the
# largest global step, with tensor_bundle's 64-bit random suffix (seen too long on TF 2.15 and
# 2.21), an event file (its host's name last), an export's variables before their merge (the
# same saver's shard, in tf.saved_model's temp-TIMESTAMP folder).
_SHARD = "part-00000-of-00001.data-00000-of-00001.tempstate18446744073709551615"
_CHECKPOINT_SHARD = f"model.ckpt-{param_rules.MAX_GLOBAL_STEP}_temp/{_SHARD}"
_EVAL_EVENTS = "eval/events.out.tfevents.1234567890."  # + the host's name.
_EXPORT_SHARD = f"temp-1234567890/variables/variables_temp/{_SHARD}"
_STAGING = ".tmp-" + 32 * "0"  # base.files.folder_written_atomically's, inside or beside (.NAME).
_EXPORT_STAGING = ".export-12345678"  # report.saved_model's, beside export_dir (.NAME).
_WRITE_ATOMICALLY = ".tmp"  # base.files.write_atomically's, beside the file.


def _path_rooms():
  """{path flag: (characters written below it at most, added to its last name at most)}."""
  events = _EVAL_EVENTS + socket.gethostname()
  return {
      "model_dir": (max(len(_CHECKPOINT_SHARD), len(events)), 0),
      "report_dir": (len(f"{_STAGING}/{events}"), len(_STAGING) + 1),
      "export_dir": (len(f"{_EXPORT_STAGING}/{_EXPORT_SHARD}"), len(_EXPORT_STAGING) + 1),
      "output": (0, len(_WRITE_ATOMICALLY)),
      "data_dir": (0, 0),
      "images": (0, 0),
  }


PATH_FLAGS = tuple(_path_rooms())  # run.py's flags that hold a path (--images: several).


@dataclasses.dataclass(frozen=True)
class Settings:
  """run.py's flag values, a field per flag of flags/core.py, how run.py was run and which flags
  were given; flags/core.py's settings() builds it. A flag without a default of its own is None
  unless given: the preset's, the model_dir's or the recipe's value applies."""
  mode: str
  verbose: bool
  model_dir: typing.Optional[str]
  data_dir: typing.Optional[str]
  seed: int
  predict_indices: typing.List[str]  # Test-set indices, as the flag's strings.
  preset: typing.Optional[str]
  conv_blocks: typing.Optional[int]
  dropout_pool2: typing.Optional[float]
  dropout_pool3: typing.Optional[float]
  dropout_dense: typing.Optional[float]
  optimizer: typing.Optional[str]
  dtype: typing.Optional[str]
  learning_rate: typing.Optional[float]
  steps: typing.Optional[int]
  max_steps: typing.Optional[int]
  epochs: typing.Optional[float]
  batch_size: int
  recipe: typing.Optional[str]
  log_every: int
  train_subset: typing.Optional[int]
  save_checkpoints_steps: typing.Optional[int]
  eval_every: int
  sync_replicas: bool
  distribution: str
  report_dir: typing.Optional[str]
  images: typing.Optional[typing.List[str]]
  invert: str
  output: typing.Optional[str]
  max_image_pixels: int
  export_dir: typing.Optional[str]
  checkpoint: typing.Optional[int]
  command: str  # How the user ran run.py, for the hints: "python run.py", say.
  explicit: typing.FrozenSet[str]  # The flags given on the command line.

  def given(self, name):
    """The value if it was given explicitly, else None."""
    return getattr(self, name) if name in self.explicit else None


def check_paths(settings):
  """Raises UserError in one line for the first path flag given (PATH_FLAGS; none has a default)
  that cannot be used here: a symbolic link along it loops or points nowhere, a file stands for
  a folder, a name or the whole path is too long for what is written there
  (base.files.check_path)."""
  rooms = _path_rooms()
  for flag in sorted(settings.explicit & set(rooms), key=PATH_FLAGS.index):
    value = getattr(settings, flag)
    for path in value if isinstance(value, list) else [value]:
      if path:
        files.check_path(path, flag, *rooms[flag])


class TrainingPlan(typing.NamedTuple):
  """Batch size, the budget for Estimator.train, and steps between train_and_eval's evaluations."""
  batch_size: int
  steps: typing.Optional[int]  # Added to the global step.
  max_steps: typing.Optional[int]  # Absolute.
  eval_every: int


def model_params(settings, saved=None):
  """The model's params: the preset's, those saved in the model_dir, --recipe's, explicit flags.

  Params saved for another preset than --preset's are ignored; checking the
  model_dir's checkpoint then reports the other network.
  """
  saved = saved or {}
  saved_preset = saved.get("preset", presets.DEFAULT_PRESET)
  preset = settings.preset or saved_preset
  params = presets.PRESETS[preset].params
  if preset == saved_preset:
    params.update(saved)
  if tuned_recipe(settings, preset):
    params.update(presets.tuned_recipe_params(settings.recipe))
  for key in presets.DEFAULT_PARAMS:
    value = getattr(settings, key)
    if value is None:
      continue
    if key not in params:
      users = [name for name, other in presets.PRESETS.items() if key in other.preset_params]
      raise UserError(f"--{key} does not apply to --preset={preset}'s network, only to "
                      f"{', '.join(users)}'s: leave it out")
    params[key] = value
  if settings.dtype:
    params["dtype"] = settings.dtype
  return params


def schedule_ending_at(params, last_step):
  """params with their learning-rate schedule, if any (--recipe's), ending at last_step.

  last_step is the absolute global step the run trains to, so a run resumed from a
  checkpoint decays as the uninterrupted one would.
  """
  return {**params, "decay_steps": last_step} if "decay_steps" in params else params


def tuned_recipe(settings, preset=presets.TUNED_RECIPE_PRESET):
  """--recipe's settings, {} without it; raises UserError for another preset than its own."""
  if not settings.recipe:
    return {}
  if preset != presets.TUNED_RECIPE_PRESET:
    raise UserError(f"--recipe={settings.recipe} is for --preset={presets.TUNED_RECIPE_PRESET}'s "
                    f"network, not {preset}'s: leave one out")
  return presets.TUNED_RECIPES[settings.recipe]


def batch_size(settings, preset=presets.DEFAULT_PRESET):
  """--batch_size if given, else --recipe's, else the preset's (model.presets.batch_size)."""
  given = settings.given("batch_size")
  if not given:
    tuned_recipe(settings, preset)  # Refuses --recipe for another preset.
  return presets.batch_size(given, settings.recipe, preset)


def step_budget(settings, preset=presets.DEFAULT_PRESET, train_size=None):
  """(steps, max_steps) for Estimator.train: --max_steps, --steps, --epochs, --recipe's, preset's.

  Args:
    settings: the Settings.
    preset: the preset's name.
    train_size: images in the recipe's training split; budgets in epochs need it.
  """
  if settings.max_steps is not None:
    return None, settings.max_steps
  if settings.steps is not None:
    return settings.steps, None
  if settings.epochs is None and tuned_recipe(settings, preset).get("steps"):
    return tuned_recipe(settings, preset)["steps"], None
  preset_recipe = presets.PRESETS[preset].recipe
  if settings.epochs is None and preset_recipe.steps:
    return preset_recipe.steps, None
  if train_size is None:
    raise ValueError("a budget in epochs needs the training split's size")
  epochs = settings.epochs or preset_recipe.epochs
  return presets.epochs_to_steps(epochs, train_size, batch_size(settings, preset)), None


def training_plan(settings, preset, train_size, unfinished=None):
  """The plan of flags given explicitly, else of the preset's recipe, for train_size images.

  `unfinished`, the plan params.json records for a run that stopped short of its last
  step, sets the batch size and the last step instead. Raises UserError for a batch
  larger than the train_size images.
  """
  size = unfinished["batch_size"] if unfinished else batch_size(settings, preset)
  if size > train_size:
    raise UserError(_batch_mistake(settings, preset, size, train_size, bool(unfinished)))
  eval_every = (settings.given("eval_every")
                or presets.PRESETS[preset].recipe.validation_interval(train_size, size)
                or tuned_recipe(settings, preset).get("eval_every") or settings.eval_every)
  budget = ((None, unfinished["last_step"]) if unfinished
            else step_budget(settings, preset, train_size))
  return TrainingPlan(size, *budget, eval_every)


def _batch_mistake(settings, preset, size, train_size, recorded):
  """The one line for a batch of `size` larger than the train_size images of the training split."""
  if settings.given("batch_size"):
    source = f"--batch_size={size}"
  elif recorded:
    source = f"the batch of {size} the model_dir's params.json records"
  else:
    source = f"--preset={preset}'s batch of {size}"
  split = presets.PRESETS[preset].recipe.split
  images = (f"{train_size:,} training images"
            + (f" of --train_subset={settings.train_subset}" if settings.train_subset else "")
            + (" left by the recipe's validation split" if split else ""))
  larger = " or a larger --train_subset" if settings.train_subset else ""
  return f"{source} is more than the {images}: pass --batch_size={train_size} or less{larger}"
