"""Each preset's published recipe: batch size, budget and held-out validation split.

A preset's network is in estimator_cnn.model. Its recipe sets run.py's defaults
(explicit flags win, see estimator_cnn.config). Recipes whose source picked the
checkpoint of best validation accuracy keep it in MODEL_DIR/best/, as
tf.estimator's BestExporter would: a copy of that checkpoint, the model_dir's
params.json and best.json with its step, accuracy and loss.
"""

import functools
import glob
import json
import math
import os
import shutil
import typing

import numpy as np

from estimator_cnn import model
from estimator_cnn import model_dir as model_dir_lib
from estimator_cnn.data import NUM_CLASSES
from estimator_cnn.errors import UserError

BEST_DIR = "best"
BEST_FILE = "best.json"
SPLIT_SEED = 0  # The balanced split is the same for every run and every --seed.


def last_fraction_split(num_examples, fraction):
  """(train, validation) indices: the last `fraction` held out, as Keras's validation_split."""
  split_at = int(num_examples * (1.0 - fraction))
  return np.arange(split_at), np.arange(split_at, num_examples)


def first_examples_split(num_examples, train_size, validation_size):
  """(train, validation) indices: the first train_size examples, then the next validation_size."""
  if num_examples < train_size + validation_size:
    raise UserError(f"this recipe trains on the first {train_size:,} training images and "
                    f"validates on the next {validation_size:,}, but the data has only "
                    f"{num_examples:,}: pass --data_dir with the full Fashion-MNIST")
  return np.arange(train_size), np.arange(train_size, train_size + validation_size)


def balanced_split(labels, per_class, seed):
  """(train, validation) indices: per_class images of each class drawn by seed are held out."""
  rng = np.random.default_rng(seed)
  validation = []
  for label in range(NUM_CLASSES):
    members = np.flatnonzero(labels == label)
    if len(members) <= per_class:
      raise UserError(f"this recipe holds out {per_class:,} images of each class for validation, "
                      f"but the data has {len(members):,} of class {label}: pass --data_dir "
                      "with the full Fashion-MNIST")
    validation.append(rng.choice(members, per_class, replace=False))
  validation = np.sort(np.concatenate(validation))
  return np.setdiff1d(np.arange(len(labels)), validation), validation


class Split(typing.NamedTuple):
  """A recipe's validation split: what it holds out, and labels -> (train, validation) indices."""
  description: str
  indices: typing.Callable[[np.ndarray], typing.Tuple[np.ndarray, np.ndarray]]


KERAS_SPLIT = Split("last 30% of train held out (Keras validation_split=0.3)",
                    lambda labels: last_fraction_split(len(labels), 0.3))
FIRST_1000_SPLIT = Split("first 1,000 training images, validated on the next 1,000",
                         lambda labels: first_examples_split(len(labels), 1000, 1000))
BALANCED_SPLIT = Split("1,000 images per class of train held out (10,000, balanced)",
                       functools.partial(balanced_split, per_class=1000, seed=SPLIT_SEED))


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
  network: str
  recipe: Recipe
  published_accuracy: str
  assumptions: str = ""  # What the source leaves out and we chose.

  @property
  def params(self):
    return {**model.PRESET_PARAMS[self.name], "preset": self.name}


PRESETS = {preset.name: preset for preset in (
    Preset("blog_cnn", "3 conv blocks (32, 64, 128 filters 5x5 same, ReLU, 2x2 pool; dropout "
           "0.25 after pools 2 and 3), dense 1024 ReLU, dropout 0.4, dense 10",
           Recipe(batch_size=100, steps=1500), "89% to 90%"),
    Preset("tf_tutorial", "conv 32 5x5 same, pool, conv 64 5x5 same, pool, dense 1024 ReLU, "
           "dropout 0.4, dense 10", Recipe(batch_size=400, steps=200_000), "91.6%"),
    Preset("keras_cnn", "conv 32 3x3 valid, conv 64 3x3 valid, 2x2 pool, dropout 0.25, "
           "dense 128 ReLU, dropout 0.2, dense 10",
           Recipe(batch_size=128, epochs=12, split=KERAS_SPLIT, validate_every_epochs=1),
           "91.66%"),
    Preset("small_cnn", "conv 32 5x5 valid, pool, conv 32 4x4 same, pool, conv 32 3x3 valid, "
           "dropout 0.5, dense 10",
           Recipe(batch_size=64, epochs=100, split=FIRST_1000_SPLIT, validate_every_epochs=10),
           "above 80%", "the source gives no dropout rate: 0.5"),
    Preset("bn_cnn", "3 blocks of conv 3x3 same (32, 64, 128), batch norm, ReLU, max-pool "
           "1, 2, 2; 2 dense blocks (batch norm, dropout 0.5, dense 512 / 256 ReLU); "
           "batch norm, dense 10",
           Recipe(batch_size=50, epochs=1, split=BALANCED_SPLIT, validate_every_epochs=0.25,
                  keep_best=True),
           "about 86% after one epoch",
           "the source gives no optimizer (Adam here) and no dropout rates (0.5 here)"),
    Preset("mlp", "flatten, dense 128 ReLU, dense 10", Recipe(batch_size=32, epochs=5),
           "87.56%", "batch 32: Keras's default"),
    Preset("small_conv2", "conv 32 3x3 same, pool, conv 64 3x3 same, pool, dense 128 ReLU, "
           "dense 10", Recipe(batch_size=32, epochs=5), "91.62%", "batch 32: Keras's default"),
)}


class TrainingData(typing.NamedTuple):
  """The images a recipe trains on, and those it validates on (None without a split)."""
  train_images: np.ndarray
  train_labels: np.ndarray
  validation_images: typing.Optional[np.ndarray]
  validation_labels: typing.Optional[np.ndarray]


def training_data(recipe, images, labels, subset=None):
  """Splits the training set as the recipe does; all of it trains when it has no split.

  With subset, only the first `subset` images are split and trained on.
  """
  if subset is not None:
    if subset > len(labels):
      raise UserError(f"--train_subset={subset} is more than the {len(labels)} training "
                      f"images: pass at most {len(labels)}")
    images, labels = images[:subset], labels[:subset]
  if recipe.split is None:
    return TrainingData(images, labels, None, None)
  train, validation = recipe.split.indices(labels)
  return TrainingData(images[train], labels[train], images[validation], labels[validation])


def best_dir(model_dir):
  return os.path.join(model_dir, BEST_DIR)


def load_best(model_dir):
  """best.json of MODEL_DIR/best/ ({"step", "accuracy", "loss", "checkpoint"}), or None."""
  path = os.path.join(best_dir(model_dir), BEST_FILE)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def keep_if_best(model_dir, checkpoint, metrics):
  """Copies checkpoint to MODEL_DIR/best/ if its validation accuracy beats the kept one's.

  Args:
    model_dir: the model_dir holding checkpoint and params.json.
    checkpoint: path prefix of the evaluated checkpoint.
    metrics: its validation metrics from Estimator.evaluate.

  Returns:
    Whether the checkpoint is the new best.
  """
  best = load_best(model_dir)
  if best is not None and best["accuracy"] >= metrics["accuracy"]:
    return False
  target = best_dir(model_dir)
  staging, old = f"{target}.tmp", f"{target}.old"
  for leftover in (staging, old):
    shutil.rmtree(leftover, ignore_errors=True)
  os.makedirs(staging)
  for path in glob.glob(f"{glob.escape(checkpoint)}.*"):
    shutil.copy2(path, staging)
  name = os.path.basename(checkpoint)
  with open(os.path.join(staging, "checkpoint"), "w") as f:
    f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
  params = os.path.join(model_dir, model_dir_lib.PARAMS_FILE)
  if os.path.exists(params):
    shutil.copy2(params, staging)
  with open(os.path.join(staging, BEST_FILE), "w") as f:
    json.dump({"step": int(metrics["global_step"]), "accuracy": float(metrics["accuracy"]),
               "loss": float(metrics["loss"]), "checkpoint": name}, f, indent=2)
  if os.path.exists(target):
    os.replace(target, old)
  os.replace(staging, target)
  shutil.rmtree(old, ignore_errors=True)
  return True
