"""The CNN's input_fn: every example once per epoch, a seeded order, and resuming at the global step."""

import collections

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.data.input_fn import numpy_input_fn

v1 = tf.compat.v1


def _ids(count):
  return {"x": np.arange(count, dtype=np.int64)}


def _batches(input_fn, seed=None, max_batches=None):
  """Runs input_fn in a fresh graph; returns its batches until the input ends or max_batches."""
  with tf.Graph().as_default():
    if seed is not None:
      v1.set_random_seed(seed)
    tensors = input_fn()
    batches = []
    with v1.Session() as session:
      try:
        while max_batches is None or len(batches) < max_batches:
          batches.append(session.run(tensors))
      except tf.errors.OutOfRangeError:
        pass
  return batches


def _served(input_fn, **kwargs):
  """The example ids that input_fn serves, in order."""
  return np.concatenate([batch["x"] for batch in _batches(input_fn, **kwargs)]).tolist()


def test_features_and_labels_keep_their_dtypes_and_shapes():
  features = {"x": np.arange(12, dtype=np.float32).reshape(6, 2), "id": np.arange(6)}
  labels = np.arange(6, dtype=np.int32) * 10
  input_fn = numpy_input_fn(features, labels, batch_size=4)
  with tf.Graph().as_default():
    feature_tensors, label_tensor = input_fn()
    assert feature_tensors["x"].shape.as_list() == [None, 2]
  (batch, label_batch), _ = _batches(input_fn)
  assert (batch["x"].dtype, batch["id"].dtype, label_batch.dtype) == (np.float32, np.int64,
                                                                      np.int32)
  np.testing.assert_array_equal(batch["x"], features["x"][:4])
  np.testing.assert_array_equal(label_batch, labels[:4])


def test_without_labels_it_returns_features_only():
  assert [batch["x"].tolist() for batch in _batches(numpy_input_fn(_ids(3), batch_size=2))] == [
      [0, 1], [2]]


def test_features_and_labels_of_different_lengths_are_refused():
  with pytest.raises(ValueError, match="differ in length"):
    numpy_input_fn(_ids(3), np.arange(4))


def test_one_epoch_keeps_the_order_and_the_last_partial_batch():
  assert [batch["x"].tolist() for batch in _batches(numpy_input_fn(_ids(10), batch_size=4))] == [
      [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_num_epochs_none_repeats_forever_in_full_batches():
  batches = _batches(numpy_input_fn(_ids(6), batch_size=4, num_epochs=None), max_batches=6)
  assert [len(batch["x"]) for batch in batches] == [4] * 6
  assert np.concatenate([batch["x"] for batch in batches]).tolist() == list(range(6)) * 4


def test_shuffle_follows_the_graph_seed():
  input_fn = numpy_input_fn(_ids(30), batch_size=7, num_epochs=2, shuffle=True)
  first = _served(input_fn, seed=3)
  assert first == _served(input_fn, seed=3)
  assert first != _served(input_fn, seed=4)
  assert first[:30] != list(range(30))
  assert sorted(first[:30]) == sorted(first[30:]) == list(range(30))  # Epochs are permutations.


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 60), batch_size=st.integers(1, 17), num_epochs=st.integers(1, 3),
       shuffle=st.booleans())
def test_every_example_is_served_num_epochs_times(size, batch_size, num_epochs, shuffle):
  batches = _batches(numpy_input_fn(_ids(size), batch_size=batch_size, num_epochs=num_epochs,
                                    shuffle=shuffle), seed=1)
  assert all(len(batch["x"]) == batch_size for batch in batches[:-1])
  assert 1 <= len(batches[-1]["x"]) <= batch_size
  served = collections.Counter(np.concatenate([batch["x"] for batch in batches]).tolist())
  assert served == {example: num_epochs for example in range(size)}


def test_endless_stream_resumes_at_the_global_step():
  def first_batches(global_step, count):
    with tf.Graph().as_default():
      v1.set_random_seed(3)
      step = v1.train.get_or_create_global_step()
      batch = numpy_input_fn(_ids(10), batch_size=4, num_epochs=None, shuffle=True)()
      with v1.Session() as session:
        session.run(v1.global_variables_initializer())
        session.run(step.assign(global_step))  # As a restore from a checkpoint would.
        session.run(v1.tables_initializer())  # What the Estimator's local init op runs.
        return [session.run(batch)["x"].tolist() for _ in range(count)]

  uninterrupted = first_batches(0, 6)
  assert first_batches(2, 4) == uninterrupted[2:]
  served = sum(uninterrupted, [])
  assert sorted(served[:10]) == sorted(served[10:20]) == list(range(10))
  assert served[:10] != served[10:20]  # Each epoch is a new permutation.
