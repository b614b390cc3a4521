"""Training splits: Keras's tail, the first examples, a balanced hold-out, a training subset."""

import numpy as np
import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.data import splits
from estimator_cnn.model import presets
from tests import idx_fixtures


def fixture_arrays(num):
  images, labels = idx_fixtures.make_images(num, seed=0)
  return images.astype(np.float32) / 255, labels.astype(np.int32)


def test_last_fraction_split_holds_out_the_tail_as_keras_does():
  train, validation = splits.last_fraction_split(np.zeros(60_000), 0.3)
  np.testing.assert_array_equal(train, np.arange(42_000))
  np.testing.assert_array_equal(validation, np.arange(42_000, 60_000))


def test_first_examples_split():
  train, validation = splits.first_examples_split(np.zeros(60_000), 1000, 1000)
  np.testing.assert_array_equal(train, np.arange(1000))
  np.testing.assert_array_equal(validation, np.arange(1000, 2000))
  with pytest.raises(UserError, match="has only 1,999"):
    splits.first_examples_split(np.zeros(1999), 1000, 1000)


def test_balanced_split_is_balanced_disjoint_and_seeded():
  labels = np.random.default_rng(3).permutation(np.arange(60_000) % 10)
  train, validation = splits.balanced_split(labels, per_class=1000, seed=0)
  assert len(train) == 50_000 and len(validation) == 10_000
  np.testing.assert_array_equal(np.bincount(labels[validation]), [1000] * 10)
  np.testing.assert_array_equal(np.sort(np.concatenate([train, validation])), np.arange(60_000))
  np.testing.assert_array_equal(splits.balanced_split(labels, 1000, seed=0)[1], validation)
  assert not np.array_equal(splits.balanced_split(labels, 1000, seed=1)[1], validation)
  with pytest.raises(UserError, match="1,000 images of each class"):
    splits.balanced_split(labels[:9000], per_class=1000, seed=0)


def test_training_data_follows_the_split_and_the_subset():
  images, labels = fixture_arrays(100)
  data = splits.training_data(presets.KERAS_SPLIT, images, labels)
  np.testing.assert_array_equal(data.train_images, images[:70])
  np.testing.assert_array_equal(data.validation_labels, labels[70:])
  data = splits.training_data(None, images, labels)
  assert data.train_images is images and data.validation_images is None
  data = splits.training_data(presets.KERAS_SPLIT, images, labels, subset=50)
  np.testing.assert_array_equal(data.train_images, images[:35])
  np.testing.assert_array_equal(data.validation_labels, labels[35:50])
  with pytest.raises(UserError, match="--train_subset=101 is more than the 100 training images"):
    splits.training_data(None, images, labels, subset=101)


@pytest.mark.parametrize("split,subset,message", [
    (presets.FIRST_1000_SPLIT, 1500, "validates on the next 1,000, but the data has only 1,500"),
    (presets.BALANCED_SPLIT, 2000, "1,000 images of each class for validation, but the data has"),
    (presets.KERAS_SPLIT, 1, "leaves none to train or validate on of the 1 in the data"),
])
def test_a_split_larger_than_the_subset_says_to_raise_the_subset(split, subset, message):
  """bn_cnn's and small_cnn's splits need more images than --train_subset leaves: the fix is a
  larger --train_subset, not the full data set, which the user has."""
  images, labels = fixture_arrays(3000)
  with pytest.raises(UserError) as error:
    splits.training_data(split, images, labels, subset=subset)
  assert message in str(error.value)
  assert str(error.value).endswith(
      f": pass a larger --train_subset than {subset}, or leave it out")
  with pytest.raises(UserError, match=f": {splits.FULL_DATA_FIX}$"):
    splits.training_data(split, images[:subset], labels[:subset])
