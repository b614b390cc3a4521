"""Small, learnable synthetic Fashion-MNIST look-alikes for tests."""

import gzip
import os

import numpy as np

from estimator_cnn.base.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from estimator_cnn.data import idx_csv

_BAR_WIDTH = 4


def make_images(num, seed):
  """Returns (images uint8 (num, 28, 28), labels uint8 (num,)).

  Classes 0-4 are a bright horizontal bar and classes 5-9 a bright vertical
  bar, at a class-specific position, over noise. Classes are balanced.
  """
  rng = np.random.default_rng(seed)
  labels = rng.permutation(np.arange(num) % NUM_CLASSES).astype(np.uint8)
  images = rng.integers(0, 60, size=(num, IMAGE_SIZE, IMAGE_SIZE),
                        dtype=np.uint8)
  bars = rng.integers(180, 256, size=(num, _BAR_WIDTH, IMAGE_SIZE),
                      dtype=np.uint8)
  for i, label in enumerate(labels):
    start = 2 + 5 * (label % 5)
    if label < 5:
      images[i, start:start + _BAR_WIDTH, :] = bars[i]
    else:
      images[i, :, start:start + _BAR_WIDTH] = bars[i].T
  return images, labels


def write_fixture_dataset(directory, num_train=200, num_test=100, seed=0):
  """Writes the four Fashion-MNIST IDX .gz files; returns directory."""
  directory = os.fspath(directory)
  os.makedirs(directory, exist_ok=True)
  for split, num, split_seed in (("train", num_train, seed),
                                 ("test", num_test, seed + 1)):
    images, labels = make_images(num, split_seed)
    idx_csv.write_idx(os.path.join(directory, idx_csv.IDX_FILES[f"{split}_images"]),
                   images)
    idx_csv.write_idx(os.path.join(directory, idx_csv.IDX_FILES[f"{split}_labels"]),
                   labels)
  return directory


def write_fixture_csv(directory, num_train=200, num_test=100, seed=0):
  """Writes Kaggle-style Fashion-MNIST CSV files; returns directory."""
  directory = os.fspath(directory)
  os.makedirs(directory, exist_ok=True)
  header = "label," + ",".join(
      f"pixel{i}" for i in range(1, IMAGE_SIZE * IMAGE_SIZE + 1))
  for split, num, split_seed in (("train", num_train, seed),
                                 ("test", num_test, seed + 1)):
    images, labels = make_images(num, split_seed)
    table = np.column_stack([labels, images.reshape(num, -1)])
    np.savetxt(os.path.join(directory, idx_csv.CSV_FILES[split]), table,
               fmt="%d", delimiter=",", header=header, comments="")
  return directory


def rewrite_decompressed(path, edit):
  """Replaces a .gz file's content with edit(content), compressed again."""
  with gzip.open(path, "rb") as f:
    content = f.read()
  with gzip.open(path, "wb") as f:
    f.write(edit(content))
