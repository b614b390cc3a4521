"""Runs the real tf.estimator (the tensorflow-estimator 2.15 wheel) on TensorFlow >= 2.16.

The wheel declares no dependencies and still works on current TensorFlow, but it
imports a few private pieces that TensorFlow 2.16 removed:
- `tensorflow.python.distribute.estimator_training` (estimator.py, training.py,
  run_config.py): supplied by estimator_cnn.legacy.estimator_training, which does
  what TF 2.15's did;
- `tf_export.ESTIMATOR_API_NAME` and its attribute slots in `API_ATTRS` /
  `API_ATTRS_V1` (estimator_export.py decorates every public name with them):
  restored with TF 2.15's values, so names are recorded as they were, and
  tf_export's `get_v1_names` and `get_v2_names` wrapped to add the names
  recorded there, as TF 2.15's read them (the estimator exports no constants);
- `tensorflow.python.tpu.tpu_embedding`, `tpu_embedding_gradient` and
  `session_support` (TPUEstimator only): placeholders whose every use raises
  TPUNotSupported, naming the function that called it, as TPUEstimator cannot
  run here anyway.
Each patch is applied only where the name is missing, so on TF 2.15 this module
changes nothing. Nothing else of TensorFlow is changed. `load_estimator` then
gives back, on TF >= 2.16, every path to the estimator that TF 2.15 had
(`tf.estimator`, `tf.compat.v1.estimator`, the nested `tf.compat.v2.compat.v1.estimator`
& co., `from tensorflow.estimator import ...`: estimator_cnn.legacy.estimator_paths)
and TF 2.15's private forwarding modules (`tensorflow.python.estimator.*`,
`tensorflow.python.tpu.tpu_estimator` & co.: estimator_cnn.legacy.private_paths).
It also wraps the feeding queues' `_enqueue_data` so that pandas 3 DataFrames
(`StringDtype` text, nullable `Int64` / `boolean` columns) feed as TF 2.15 fed
pandas 1-2 ones, and a missing value is one line naming its column
(estimator_cnn.legacy.pandas_feeding).
"""

import functools
import importlib
import importlib.metadata
import importlib.util
import sys
import types

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import ESTIMATOR_VERSION, TF_VERSION, major_minor, tf
from estimator_cnn.legacy import estimator_paths, pandas_feeding, private_paths

# The newest TensorFlow these patches were checked against.
CHECKED_UP_TO = (2, 21)
_ESTIMATOR_API_NAME = "estimator"
_TPU_MODULES = ("tensorflow.python.tpu.tpu_embedding",
                "tensorflow.python.tpu.tpu_embedding_gradient",
                "tensorflow.python.tpu.session_support")
_API_MODULES = ("tensorflow_estimator.python.estimator.api._v1.estimator",
                "tensorflow_estimator.python.estimator.api._v2.estimator")


class TPUNotSupported(UserError):
  """TPUEstimator's TPU pieces were used on a TensorFlow that no longer has them."""


def _is_missing(module_name):
  if sys.modules.get(module_name) is not None:  # Imported or supplied (placeholders have no spec).
    return False
  try:
    return importlib.util.find_spec(module_name) is None
  except ImportError:
    return True


def _restore_estimator_api_name():
  from tensorflow.python.util import tf_export  # pylint: disable=g-import-not-at-top
  if hasattr(tf_export, "ESTIMATOR_API_NAME"):
    return
  tf_export.ESTIMATOR_API_NAME = _ESTIMATOR_API_NAME
  tf_export.SUBPACKAGE_NAMESPACES.append(_ESTIMATOR_API_NAME)
  attributes = type(tf_export.API_ATTRS[tf_export.TENSORFLOW_API_NAME])
  tf_export.API_ATTRS[_ESTIMATOR_API_NAME] = attributes(
      "_estimator_api_names", "_estimator_api_constants")
  tf_export.API_ATTRS_V1[_ESTIMATOR_API_NAME] = attributes(
      "_estimator_api_names_v1", "_estimator_api_constants_v1")
  tf_export.get_v1_names = _with_estimator_names(
      tf_export.get_v1_names, tf_export.API_ATTRS_V1[_ESTIMATOR_API_NAME].names)
  tf_export.get_v2_names = _with_estimator_names(
      tf_export.get_v2_names, tf_export.API_ATTRS[_ESTIMATOR_API_NAME].names)


def _with_estimator_names(lookup, attribute):
  """TensorFlow's API-name lookup followed by the names the symbol's __dict__ holds under the
  estimator API's attribute, which TF 2.15's lookup read too."""

  @functools.wraps(lookup)
  def lookup_with_estimator_names(symbol):
    return list(lookup(symbol)) + list(getattr(symbol, "__dict__", {}).get(attribute, []))

  return lookup_with_estimator_names


def _tpu_placeholder(module_name):
  """A module whose every attribute is a class that raises TPUNotSupported when called, in one
  line naming the function that called it and what it called."""
  module = types.ModuleType(module_name, f"Placeholder for {module_name}, removed in TF 2.16.")

  class Removed:
    def __init__(self, *args, **kwargs):
      caller = sys._getframe(1)  # pylint: disable=protected-access
      raise TPUNotSupported(
          f"{caller.f_globals.get('__name__')}.{caller.f_code.co_qualname} called "
          f"{module_name}.{type(self).__name__}, but TensorFlow 2.16 removed {module_name}, so "
          f"TPUEstimator's TPU features cannot run on TensorFlow {TF_VERSION}: use TensorFlow "
          "2.15 (Python <= 3.11) or a Keras TPU strategy")

  def getattr_(name):
    if name.startswith("__"):
      raise AttributeError(name)
    placeholder = type(name, (Removed,), {"__module__": module_name})
    setattr(module, name, placeholder)
    return placeholder

  module.__getattr__ = getattr_
  return module


def _supply_modules():
  from estimator_cnn.legacy import estimator_training  # pylint: disable=g-import-not-at-top
  supplied = {"tensorflow.python.distribute.estimator_training": estimator_training}
  supplied.update({name: _tpu_placeholder(name) for name in _TPU_MODULES})
  for name, module in supplied.items():
    if _is_missing(name):
      sys.modules[name] = module
      parent, _, child = name.rpartition(".")
      setattr(importlib.import_module(parent), child, module)


def patch_tensorflow():
  """Supplies what tensorflow-estimator needs and TensorFlow removed; a no-op on TF <= 2.15."""
  _restore_estimator_api_name()
  _supply_modules()


def stack_description():
  """What runs the Estimator here, e.g. 'TensorFlow 2.21.0, tf.estimator 2.15.0'."""
  return (f"TensorFlow {TF_VERSION}, tf.estimator "
          f"{importlib.metadata.version('tensorflow-estimator')}")


def load_estimator():
  """Returns `tf.compat.v1.estimator`, the real one, after patching TensorFlow where needed.

  estimator_cnn.base.tf_setup has checked that tensorflow-estimator is installed.
  """
  try:
    patch_tensorflow()
    for name in _API_MODULES:
      importlib.import_module(name)
  except (ImportError, AttributeError) as e:
    checked = ".".join(map(str, CHECKED_UP_TO))
    raise UserError(f"tensorflow-estimator {ESTIMATOR_VERSION} does not load on TensorFlow "
                    f"{TF_VERSION} ({type(e).__name__}: {e}); estimator_cnn was checked up to "
                    f"TensorFlow {checked}: pip install 'tensorflow=={checked}.*' "
                    f"'tf-keras=={checked}.*'") from e
  if major_minor(TF_VERSION) >= (2, 16):
    pandas_feeding.install()
    private_paths.install()
    estimator_paths.install()
  return tf.compat.v1.estimator
