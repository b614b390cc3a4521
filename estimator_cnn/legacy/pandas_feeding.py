"""pandas 3 DataFrames through tf.estimator's feeding queues, as TF 2.15 fed pandas 1-2 ones.

tf.estimator's `pandas_input_fn` (and whatever else feeds a DataFrame to the
feeding queues, `feeding_functions._enqueue_data`) asks TensorFlow for the
dtype of each column. pandas 3 makes text columns `StringDtype`, and nullable
columns (`Int64`, `boolean`) are pandas dtypes too, which TensorFlow does not
know. `install` wraps `_enqueue_data` so that a DataFrame reaches it with such
columns (and index) as numpy ones: text as object (tf.string, what an object
column of str gave on TF 2.15), nullable integers, floats and booleans as their
numpy dtype (int64, float64, bool). A converted column with missing values
(NaN, pd.NA), which TF 2.15 could not feed either, raises MissingValues, one
line naming the column. Other data passes untouched (numpy 2 StringDType arrays
already feed as tf.string). pandas is imported only through tf.estimator's own
module, so it stays optional.
"""

import functools

from estimator_cnn.base.errors import UserError


class MissingValues(UserError, ValueError):
  """A DataFrame column fed to tf.estimator's queues has NaN or pd.NA where it needs values."""


def _numpy_dtype(dtype, pd):
  """The numpy dtype TF 2.15's feeding knew for a pandas dtype, or None for a numpy dtype."""
  if isinstance(dtype, pd.StringDtype):
    return object
  if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
    return dtype.numpy_dtype
  return None


def _as_numpy(values, label, pd):
  """values (a column or index) with a numpy dtype TensorFlow knows."""
  target = _numpy_dtype(values.dtype, pd)
  if target is None:
    return values
  if values.isna().any():
    raise MissingValues(
        f"{label} ({values.dtype}) has missing values (NaN or pd.NA), which tf.estimator's "
        "input functions cannot feed (nor could they on TensorFlow 2.15): fill or drop them first")
  return values.astype(target)


def _adapted(frame, pd):
  frame = frame.copy()
  frame.index = _as_numpy(frame.index, "the DataFrame's index", pd)
  for name in frame.columns:
    frame[name] = _as_numpy(frame[name], f"column {name!r}", pd)
  return frame


def install():
  """Wraps tf.estimator's `_enqueue_data` (once) so DataFrames reach it adapted."""
  from tensorflow_estimator.python.estimator.inputs.queues import feeding_functions  # pylint: disable=g-import-not-at-top
  enqueue_data = feeding_functions._enqueue_data  # pylint: disable=protected-access
  if getattr(enqueue_data, "adapts_pandas_dtypes", False):
    return

  @functools.wraps(enqueue_data)
  def enqueue_adapted_data(data, *args, **kwargs):
    if feeding_functions.HAS_PANDAS and isinstance(data, feeding_functions.pd.DataFrame):
      data = _adapted(data, feeding_functions.pd)
    return enqueue_data(data, *args, **kwargs)

  enqueue_adapted_data.adapts_pandas_dtypes = True
  feeding_functions._enqueue_data = enqueue_adapted_data  # pylint: disable=protected-access
