"""Every preset in one table: its network, params, published training recipe and accuracy.

A preset is a published Fashion-MNIST network (model.networks) with the recipe
its source trained it with: optimizer and learning rate (its params), batch
size, budget, held-out validation split. run.py takes its defaults from the
preset (explicit flags win, see app.settings). TUNED_RECIPES are --recipe's
alternatives to the blog_cnn preset's recipe. No TensorFlow here, so flags and
reports can read the table without importing it.
"""

import math
import typing

# The names the model params take: flags offer them, model.param_rules checks them, the model
# builds them. OPTIMIZERS: each optimizer's class in tf.compat.v1.train.
OPTIMIZERS = {"adam": "AdamOptimizer", "gradient_descent": "GradientDescentOptimizer"}
FLOAT32 = "float32"
BFLOAT16 = "bfloat16"
DTYPES = (FLOAT32, BFLOAT16)  # Compute dtypes (model.precision); float32 unless a param says.
CONSTANT = "constant"
WARMUP_COSINE = "warmup_cosine"
LR_SCHEDULES = (CONSTANT, WARMUP_COSINE)  # model.model_fn.learning_rate's; constant by default.
CONV_BLOCKS = (2, 3)  # The blog network's blocks, of model.networks.CONV_FILTERS.
DEFAULT_EVAL_EVERY = 500  # Steps between evaluations when neither flag nor recipe sets them.

DEFAULT_PRESET = "blog_cnn"
# The blog's network and optimizer; its keys are the params flags can set.
DEFAULT_PARAMS = {
    "conv_blocks": 3,
    "dropout_pool2": 0.25,
    "dropout_pool3": 0.25,
    "dropout_dense": 0.4,
    "optimizer": "adam",
    "learning_rate": 0.001,
}
_ADAM = {key: DEFAULT_PARAMS[key] for key in ("optimizer", "learning_rate")}
SPLIT_SEED = 0  # The balanced split is the same for every run and every --seed.
# --recipe: tuned recipes for the blog's network, over its preset's; explicit flags win.
# Their learning-rate schedule ends at the run's last global step (app.settings.schedule_ending_at).
TUNED_RECIPE_PRESET = DEFAULT_PRESET
TUNED_RECIPES = {
    # An epoch and a half: too short to overfit, so no dropout (it only slows learning) but
    # smoothed labels, and one evaluation, at the end. Two conv blocks: a step takes 0.8x
    # the time of three blocks', so the 10% more steps they need still end sooner
    # (docs/performance.md).
    "fast": {"batch_size": 200, "steps": 440, "learning_rate": 0.006,
             "lr_schedule": WARMUP_COSINE, "warmup_steps": 40, "label_smoothing": 0.1,
             "dtype": BFLOAT16, "conv_blocks": 2, "dropout_pool2": 0.0, "dropout_pool3": 0.0,
             "dropout_dense": 0.0, "eval_every": 440},
}
# Tuned-recipe keys that are run settings, not model params.
RUN_SETTINGS = ("batch_size", "steps", "eval_every")


class Split(typing.NamedTuple):
  """A recipe's validation split: what it holds out, and how (data.splits computes it)."""
  description: str
  kind: str  # "last_fraction", "first_examples" or "balanced": a function of data.splits.
  options: dict


KERAS_SPLIT = Split("last 30% of train held out (Keras validation_split=0.3)", "last_fraction",
                    {"fraction": 0.3})
FIRST_1000_SPLIT = Split("first 1,000 training images, validated on the next 1,000",
                         "first_examples", {"train_size": 1000, "validation_size": 1000})
BALANCED_SPLIT = Split("1,000 images per class of train held out (10,000, balanced)", "balanced",
                       {"per_class": 1000, "seed": SPLIT_SEED})


def epochs_to_steps(epochs, train_size, batch_size):
  """Steps that show the model `epochs` passes over train_size examples, rounded up, at least 1."""
  # Rounding first keeps float noise (1.1 * 50000 / 50 = 1100.0000000000002) from adding a step.
  return max(1, math.ceil(round(epochs * train_size / batch_size, 6)))


class Recipe(typing.NamedTuple):
  """How a preset trains: batch size, a budget in steps or epochs, its validation split."""
  batch_size: int
  steps: typing.Optional[int] = None
  epochs: typing.Optional[float] = None
  split: typing.Optional[Split] = None
  validate_every_epochs: typing.Optional[float] = None  # --mode=train_and_eval's interval.
  keep_best: bool = False  # Keep the checkpoint of best validation accuracy in best/.

  def train_steps(self, train_size, batch_size):
    """The budget in steps, for the training split's size and the batch size."""
    return self.steps or epochs_to_steps(self.epochs, train_size, batch_size)

  def validation_interval(self, train_size, batch_size):
    """Steps between validations, or None to use --eval_every's default."""
    if self.validate_every_epochs is None:
      return None
    return epochs_to_steps(self.validate_every_epochs, train_size, batch_size)

  def describe(self, params):
    """The recipe in words, with the optimizer of the preset's params."""
    budget = (f"{self.steps:,} steps" if self.steps
              else f"{self.epochs:g} epoch{'' if self.epochs == 1 else 's'}")
    parts = [f"{params['optimizer']} {params['learning_rate']:g}", f"batch {self.batch_size}",
             budget]
    if self.split:
      parts.append(self.split.description)
    if self.keep_best:
      parts.append("best checkpoint by validation accuracy")
    return ", ".join(parts)


class Preset(typing.NamedTuple):
  """A published network with its recipe and the test accuracy its source reports."""
  name: str
  network: str  # The function of model.networks that builds it.
  architecture: str
  preset_params: dict  # Its optimizer and learning rate; the blog's networks' shape and dropouts.
  recipe: Recipe
  published_accuracy: str
  assumptions: str = ""  # What the source leaves out and we chose.

  @property
  def params(self):
    return {**self.preset_params, "preset": self.name}


PRESETS = {preset.name: preset for preset in (
    Preset("blog_cnn", "blog_cnn",
           "3 conv blocks (32, 64, 128 filters 5x5 same, ReLU, 2x2 pool; dropout 0.25 after pools "
           "2 and 3), dense 1024 ReLU, dropout 0.4, dense 10", DEFAULT_PARAMS,
           Recipe(batch_size=100, steps=1500), "89% to 90%"),
    Preset("tf_tutorial", "blog_cnn",
           "conv 32 5x5 same, pool, conv 64 5x5 same, pool, dense 1024 ReLU, dropout 0.4, dense 10",
           {**DEFAULT_PARAMS, "conv_blocks": 2, "dropout_pool2": 0.0, "dropout_pool3": 0.0,
            "optimizer": "gradient_descent"},
           Recipe(batch_size=400, steps=200_000), "91.6%"),
    Preset("keras_cnn", "keras_cnn",
           "conv 32 3x3 valid, conv 64 3x3 valid, 2x2 pool, dropout 0.25, dense 128 ReLU, "
           "dropout 0.2, dense 10", _ADAM,
           Recipe(batch_size=128, epochs=12, split=KERAS_SPLIT, validate_every_epochs=1),
           "91.66%"),
    Preset("small_cnn", "small_cnn",
           "conv 32 5x5 valid, pool, conv 32 4x4 same, pool, conv 32 3x3 valid, dropout 0.5, "
           "dense 10", _ADAM,
           Recipe(batch_size=64, epochs=100, split=FIRST_1000_SPLIT, validate_every_epochs=10),
           "above 80%", "the source gives no dropout rate: 0.5"),
    Preset("bn_cnn", "bn_cnn",
           "3 blocks of conv 3x3 same (32, 64, 128), batch norm, ReLU, max-pool 1, 2, 2; 2 dense "
           "blocks (batch norm, dropout 0.5, dense 512 / 256 ReLU); batch norm, dense 10", _ADAM,
           Recipe(batch_size=50, epochs=1, split=BALANCED_SPLIT, validate_every_epochs=0.25,
                  keep_best=True),
           "about 86% after one epoch",
           "the source gives no optimizer (Adam here) and no dropout rates (0.5 here)"),
    Preset("mlp", "mlp", "flatten, dense 128 ReLU, dense 10", _ADAM,
           Recipe(batch_size=32, epochs=5), "87.56%", "batch 32: Keras's default"),
    Preset("small_conv2", "small_conv2",
           "conv 32 3x3 same, pool, conv 64 3x3 same, pool, dense 128 ReLU, dense 10", _ADAM,
           Recipe(batch_size=32, epochs=5), "91.62%", "batch 32: Keras's default"),
)}
DEFAULT_STEPS = PRESETS[DEFAULT_PRESET].recipe.steps
DEFAULT_BATCH_SIZE = PRESETS[DEFAULT_PRESET].recipe.batch_size
EVAL_BATCH_SIZE = 500  # Evaluation's and prediction's batch, whatever the training batch.


def batch_size(given=None, recipe=None, preset=DEFAULT_PRESET):
  """The batch a run trains with: `given` if any, else the tuned recipe's (TUNED_RECIPES' name,
  for TUNED_RECIPE_PRESET), else the preset's."""
  return (given or TUNED_RECIPES.get(recipe, {}).get("batch_size")
          or PRESETS[preset].recipe.batch_size)


def run_params(recipe=None, dtype=None):
  """The default preset's params as run.py sets them for --recipe and --dtype (dtype wins)."""
  params = PRESETS[DEFAULT_PRESET].params
  if recipe:
    params.update(tuned_recipe_params(recipe))
  if dtype:
    params["dtype"] = dtype
  return params


def tuned_recipe_params(name):
  """The model params TUNED_RECIPES[name] sets; its schedule ends at its own last step (training
  moves the end to the run's, app.settings.schedule_ending_at)."""
  recipe = TUNED_RECIPES[name]
  params = {key: value for key, value in recipe.items() if key not in RUN_SETTINGS}
  if "lr_schedule" in params:
    params["decay_steps"] = recipe["steps"]
  return params
