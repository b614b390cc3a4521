"""pandas 3 and numpy 2 data through tf.estimator's input functions on TF >= 2.16: text as
tf.string, nullable integer and boolean columns as int64 / bool, a missing value one line naming
its column. The pandas tests run where pandas is installed (pandas is no dependency of the
package: make a venv with it, see docs/legacy.md) and skip in one line elsewhere."""

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import TF_VERSION, major_minor, tf
from estimator_cnn.legacy import pandas_feeding

pytestmark = pytest.mark.skipif(major_minor(TF_VERSION) < (2, 16),
                                reason="TF 2.15 feeds data as it always did (no numpy 2, pandas 3)")


@pytest.fixture(name="pd")
def fixture_pd():
  return pytest.importorskip("pandas", reason="pandas is not installed here")


def first_batch(input_fn):
  """The first batch the input function's queue gives: {feature: (tf dtype name, values)}."""
  with tf.Graph().as_default():
    result = input_fn()
    features = result[0] if isinstance(result, tuple) else result
    with tf.compat.v1.train.MonitoredSession() as session:
      values = session.run(features)
  return {name: (features[name].dtype.name, values[name].tolist()) for name in features}


def pandas_batch(frame):
  return first_batch(tf_estimator.inputs.pandas_input_fn(frame, batch_size=3, shuffle=False))


def test_string_columns_feed_as_tf_string(pd):
  """Text columns (StringDtype, pandas 3's default for str) feed as tf.string, as an object
  column of str did on TF 2.15."""
  frame = pd.DataFrame({"default": ["a", "b", "c"],
                        "string": pd.array(["d", "e", "f"], dtype="string")})
  assert pandas_batch(frame) == {"default": ("string", [b"a", b"b", b"c"]),
                                     "string": ("string", [b"d", b"e", b"f"])}


def test_nullable_integer_and_boolean_columns_feed_as_int64_and_bool(pd):
  frame = pd.DataFrame({"count": pd.array([1, 2, 3], dtype="Int64"),
                        "flag": pd.array([True, False, True], dtype="boolean")})
  assert pandas_batch(frame) == {"count": ("int64", [1, 2, 3]),
                                     "flag": ("bool", [True, False, True])}


@pytest.mark.parametrize("dtype, values", [("string", ["a", None, "c"]), ("Int64", [1, None, 0]),
                                           ("boolean", [True, None, False])])
def test_a_missing_value_is_one_line_naming_the_column(dtype, values, pd):
  frame = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "holes": pd.array(values, dtype=dtype)})

  with pytest.raises(pandas_feeding.MissingValues) as raised:
    pandas_batch(frame)

  message = str(raised.value)
  assert "\n" not in message and isinstance(raised.value, ValueError)
  assert message.startswith("column 'holes' (") and "missing values" in message


def test_float_nan_feeds_as_on_tf215(pd):
  """NaN in a float64 column fed on TF 2.15 and still does."""
  batch = pandas_batch(pd.DataFrame({"x": [1.0, float("nan"), 3.0]}))
  assert batch["x"][0] == "float64" and np.isnan(batch["x"][1][1])


def test_a_linear_classifier_trains_on_a_string_column(tmp_path, pd):
  """A framework's use: a canned estimator on a vocabulary column fed from a text column."""
  frame = pd.DataFrame({"colour": ["red", "blue", "red", "green"] * 4})
  labels = pd.Series([1, 0, 1, 0] * 4)
  column = tf.feature_column.categorical_column_with_vocabulary_list(
      "colour", ["red", "blue", "green"])
  estimator = tf_estimator.LinearClassifier([column], model_dir=str(tmp_path))

  estimator.train(tf_estimator.inputs.pandas_input_fn(frame, labels, batch_size=4, shuffle=False,
                                                      num_epochs=None), steps=3)

  assert estimator.get_variable_value("global_step") == 3


def test_numpy_string_dtype_arrays_feed_as_tf_string():
  """numpy 2's StringDType arrays feed through numpy_input_fn as tf.string (no pandas needed)."""
  array = np.array(["a", "b", "c"], dtype=np.dtypes.StringDType())
  batch = first_batch(tf_estimator.inputs.numpy_input_fn({"s": array}, batch_size=3,
                                                         shuffle=False))
  assert batch == {"s": ("string", [b"a", b"b", b"c"])}
