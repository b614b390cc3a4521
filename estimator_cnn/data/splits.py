"""Training-set splits: the images a recipe trains on and those it holds out for validation."""

import typing

import numpy as np

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.fashion_mnist import NUM_CLASSES


# How to get more images when a split needs more than the data holds.
FULL_DATA_FIX = "pass --data_dir with the full Fashion-MNIST"


def last_fraction_split(labels, fraction, too_few_fix=FULL_DATA_FIX):
  """(train, validation) indices: the last `fraction` held out, as Keras's validation_split.

  Labels too few to leave an image on each side raise UserError, saying too_few_fix.
  """
  split_at = int(len(labels) * (1.0 - fraction))
  if not 0 < split_at < len(labels):
    raise UserError(f"this recipe holds out the last {fraction:.0%} of the training images for "
                    f"validation, which leaves none to train or validate on of the "
                    f"{len(labels):,} in the data: {too_few_fix}")
  return np.arange(split_at), np.arange(split_at, len(labels))


def first_examples_split(labels, train_size, validation_size, too_few_fix=FULL_DATA_FIX):
  """(train, validation) indices: the first train_size examples, then the next validation_size.

  Too few labels raise UserError, saying too_few_fix.
  """
  if len(labels) < train_size + validation_size:
    raise UserError(f"this recipe trains on the first {train_size:,} training images and "
                    f"validates on the next {validation_size:,}, but the data has only "
                    f"{len(labels):,}: {too_few_fix}")
  return np.arange(train_size), np.arange(train_size, train_size + validation_size)


def balanced_split(labels, per_class, seed, too_few_fix=FULL_DATA_FIX):
  """(train, validation) indices: per_class images of each class drawn by seed are held out.

  A class of per_class images or fewer raises UserError, saying too_few_fix.
  """
  rng = np.random.default_rng(seed)
  validation = []
  for label in range(NUM_CLASSES):
    members = np.flatnonzero(labels == label)
    if len(members) <= per_class:
      raise UserError(f"this recipe holds out {per_class:,} images of each class for validation, "
                      f"but the data has {len(members):,} of class {label}: {too_few_fix}")
    validation.append(rng.choice(members, per_class, replace=False))
  validation = np.sort(np.concatenate(validation))
  return np.setdiff1d(np.arange(len(labels)), validation), validation


# A split's kind -> labels, options -> (train, validation) indices.
SPLITTERS = {"last_fraction": last_fraction_split, "first_examples": first_examples_split,
             "balanced": balanced_split}


class TrainingData(typing.NamedTuple):
  """The images a recipe trains on, and those it validates on (None without a split)."""
  train_images: np.ndarray
  train_labels: np.ndarray
  validation_images: typing.Optional[np.ndarray]
  validation_labels: typing.Optional[np.ndarray]


def training_data(split, images, labels, subset=None):
  """Splits the training set as a recipe's split (model.presets.Split) says, or not with None.

  With subset, only the first `subset` images are split and trained on.
  """
  too_few_fix = FULL_DATA_FIX
  if subset is not None:
    if subset > len(labels):
      raise UserError(f"--train_subset={subset} is more than the {len(labels)} training "
                      f"images: pass at most {len(labels)}")
    images, labels = images[:subset], labels[:subset]
    too_few_fix = f"pass a larger --train_subset than {subset}, or leave it out"
  if split is None:
    return TrainingData(images, labels, None, None)
  train, validation = SPLITTERS[split.kind](labels, **split.options, too_few_fix=too_few_fix)
  return TrainingData(images[train], labels[train], images[validation], labels[validation])
