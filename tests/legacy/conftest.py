"""Fixtures for the real tf.estimator on every stack: tiny data, its input_fns and serving
receiver, and JSON results of runs on a given stack (TF 2.15's being the reference)."""

import json
import types

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import major_minor, tf
from tests import stacks

NUM_EXAMPLES = 64
BATCH_SIZE = 16


@pytest.fixture(scope="session")
def tiny_data():
  """64 two-feature float32 examples; the label (int32) is whether the features sum above 0."""
  x = np.random.RandomState(0).randn(NUM_EXAMPLES, 2).astype(np.float32)
  return types.SimpleNamespace(x=x, y=(x.sum(axis=1) > 0).astype(np.int32))


@pytest.fixture(scope="session")
def feature_columns():
  """The one numeric feature column "x" of shape (2,) that canned Estimators read."""
  return [tf.feature_column.numeric_column("x", shape=(2,))]


@pytest.fixture(scope="session")
def input_fns(tiny_data):
  """train (repeats forever, batches of 16), evaluate (one pass) and predict (first 5 rows)."""

  def train():
    return tf.data.Dataset.from_tensor_slices(({"x": tiny_data.x}, tiny_data.y)).repeat().batch(
        BATCH_SIZE)

  def evaluate():
    return tf.data.Dataset.from_tensor_slices(({"x": tiny_data.x}, tiny_data.y)).batch(BATCH_SIZE)

  def predict():
    return tf.data.Dataset.from_tensor_slices({"x": tiny_data.x[:5]}).batch(5)

  return types.SimpleNamespace(train=train, evaluate=evaluate, predict=predict)


@pytest.fixture(scope="session")
def parsing_serving_input_receiver_fn(feature_columns):
  """A serving input receiver that parses serialized tf.train.Examples of the feature columns."""
  return tf_estimator.export.build_parsing_serving_input_receiver_fn(
      tf.feature_column.make_parse_example_spec(feature_columns))


@pytest.fixture(scope="session")
def serialize_examples():
  """Returns the rows of a float array as serialized tf.train.Examples with feature "x"."""

  def serialize(rows):
    return [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=row.tolist()))
    })).SerializeToString() for row in rows]

  return serialize


def _last_json_line(command, result):
  lines = [line for line in result.stdout.splitlines() if line.strip()]
  try:
    return json.loads(lines[-1])
  except (IndexError, ValueError):
    pytest.fail("no JSON line at the end of stdout\n" + stacks.describe(
        command, result.returncode, result.stdout, result.stderr))


@pytest.fixture(scope="session")
def run_for_json():
  """Runs `python *args` on a stack (stacks.run; fails on a non-zero exit) and returns the JSON
  object on the last line of its stdout."""

  def run(stack, args, env=None):
    result = stacks.run(stack, args, env=env)
    return _last_json_line([stack, *map(str, args)], result)

  return run


@pytest.fixture(scope="session")
def tf215_json(run_for_json):
  """Like run_for_json on the legacy stack, for code whose JSON has "tf_version": checks that
  it ran on TensorFlow <= 2.15, the reference, and returns the rest."""

  def run(args, env=None):
    output = run_for_json(stacks.LEGACY, args, env=env)
    version = output.pop("tf_version")
    assert major_minor(version) <= (2, 15), f"the legacy stack runs TensorFlow {version}"
    return output

  return run
