"""Imports TensorFlow the way this package needs it, on legacy and current stacks.

TensorFlow >= 2.16 ships Keras 3, whose layers do not work in graph mode; the
TF1 layers (`tf.compat.v1.layers`) come back with tf-keras and
TF_USE_LEGACY_KERAS=1. TensorFlow reads that variable when `tf.keras` or
`tf.compat.v1.layers` is first used, not when it is imported, so TensorFlow may
be imported before this module as long as neither was used yet; right after the
import this module makes TensorFlow's Keras loaders choose, so the choice holds
whatever the program later does to os.environ. On TensorFlow
<= 2.15 the variable breaks `tf.compat.v1.estimator` when tf-keras is absent,
so it is set only where it is needed.

TensorFlow >= 2.16 also lacks tf.estimator, which the tensorflow-estimator 2.15
wheel brings back (estimator_cnn.legacy.compat): a missing tf-keras or
tensorflow-estimator is reported before TensorFlow loads, all of them in one line.

Import TensorFlow through this module (`from estimator_cnn.base.tf_setup import tf`).
"""

import importlib.metadata
import importlib.util
import os
import sys
import tempfile
import types

from estimator_cnn.base.errors import UserError

_TF_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel",
                     "tensorflow-macos", "tf-nightly")
_API_MODULE_PREFIXES = ("tensorflow._api.", "tensorflow.compat.")
# The tf.estimator wheel that runs on TensorFlow >= 2.16 (TensorFlow 2.15 brings its own).
ESTIMATOR_VERSION = "2.15.0"


def _installed_version(distributions):
  for name in distributions:
    try:
      return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      continue
  return None


def major_minor(version):
  """(major, minor) of a version string such as '2.21.0'."""
  major, minor = version.split(".")[:2]
  return int(major), int(minor)


def _importable(module):
  return importlib.util.find_spec(module) is not None


def missing_packages(tf_version, importable=_importable):
  """The pip requirements of the packages that TensorFlow tf_version lacks to run tf.estimator:
  tf-keras of its minor version (for tf.compat.v1.layers) and tensorflow-estimator, from 2.16."""
  minor = ".".join(tf_version.split(".")[:2])
  if major_minor(tf_version) < (2, 16):
    needed = {"tensorflow_estimator": f"tensorflow-estimator=={minor}.*"}
  else:
    needed = {"tf_keras": f"tf-keras=={minor}.*",
              "tensorflow_estimator": f"tensorflow-estimator=={ESTIMATOR_VERSION}"}
  return [requirement for module, requirement in needed.items() if not importable(module)]


def _prepare_environment():
  """Checks the stack and sets TF_USE_LEGACY_KERAS; returns the TF version."""
  version = _installed_version(_TF_DISTRIBUTIONS)
  if version is None:
    raise UserError("TensorFlow is not installed: pip install -r requirements.txt "
                    "(or requirements-legacy.txt for TensorFlow 2.15)")
  missing = missing_packages(version)
  if missing:
    names = " and ".join(requirement.split("==")[0] for requirement in missing)
    raise UserError(f"TensorFlow {version} needs {names} to run tf.estimator: pip install "
                    + " ".join(f"'{requirement}'" for requirement in missing))
  if major_minor(version) < (2, 16):
    if not _importable("tf_keras"):
      os.environ.pop("TF_USE_LEGACY_KERAS", None)
    return version
  os.environ["TF_USE_LEGACY_KERAS"] = "1"
  used = _keras_3_used()
  if used:
    raise KerasAlreadyLoaded(
        f"{used} was used with Keras 3 before estimator_cnn set TF_USE_LEGACY_KERAS=1, so "
        "tf.compat.v1.layers cannot use tf-keras in this process: import estimator_cnn (or run "
        "python -m estimator_cnn.legacy) before using tf.keras, or set TF_USE_LEGACY_KERAS=1 in "
        "the environment")
  return version


class KerasAlreadyLoaded(UserError, SystemExit):
  """TensorFlow's Keras 3 was used before the switch to tf-keras; uncaught, it exits with its
  one line (as SystemExit does), also where the import is in a user's own code."""

  def __init__(self, message):
    super().__init__(message)
    self.code = f"{self.prefix}{message}"


def _resolved_to_keras_3(value, lazy_loader):
  """Whether a TensorFlow API attribute is a Keras loader that resolved to Keras 3, or the Keras 3
  module a loader put in its place; never triggers a loader (only vars() is read)."""
  if isinstance(value, lazy_loader.KerasLazyLoader):
    return vars(value).get("_tfll_keras_version") == "keras_3"
  return (isinstance(value, types.ModuleType) and
          str(vars(value).get("__name__", "")).split(".")[0] == "keras")


def _api_attributes():
  """(name such as 'tf.compat.v1.keras', value) of each attribute of TensorFlow's loaded API
  modules that hold Keras loaders, read with vars() (so no lazy loader is triggered). Those
  are `tensorflow` and its compat modules, under their `tensorflow._api.v2` names and under
  `tensorflow.compat`, where TensorFlow loads them again when they are imported by that name
  (tf-keras does)."""
  for module_name, module in list(sys.modules.items()):
    if module_name != "tensorflow" and not module_name.startswith(_API_MODULE_PREFIXES):
      continue
    api = module_name.replace("tensorflow._api.v2", "tf").replace("tensorflow", "tf")
    for name, value in list(vars(getattr(module, "_tfmw_wrapped_module", module)).items()):
      yield f"{api}.{name}", value


def _keras_3_used():
  """The TensorFlow name (e.g. 'tf.keras') that already resolved to Keras 3, or None; TensorFlow
  resolves each lazy Keras loader on its first use."""
  if "tensorflow" not in sys.modules:
    return None
  from tensorflow.python.util import lazy_loader  # pylint: disable=g-import-not-at-top
  return next((name for name, value in _api_attributes()
               if _resolved_to_keras_3(value, lazy_loader)), None)


def _pin_keras_choice():
  """Makes each of TensorFlow's lazy Keras loaders choose now, with TF_USE_LEGACY_KERAS=1, what it
  would choose on its first use from os.environ: tf-keras. A program (TensorFlow's multi-worker
  test harness, say) may replace os.environ before Keras is first used; the choice holds."""
  from tensorflow.python.util import lazy_loader  # pylint: disable=g-import-not-at-top
  for _, value in _api_attributes():
    if (isinstance(value, lazy_loader.KerasLazyLoader) and
        not vars(value).get("_tfll_initialized")):
      value._initialize()  # pylint: disable=protected-access  # TensorFlow's own choice.


def _caused_by_ctrl_c(error):
  """Whether a KeyboardInterrupt caused error: Ctrl-C while a C extension initializes surfaces
  as "ImportError: initialization failed" raised from it."""
  while error is not None:
    if isinstance(error, KeyboardInterrupt):
      return True
    error = error.__cause__ or error.__context__
  return False


def _import_tensorflow(pin_keras):
  """Imports TensorFlow (pinning its Keras choice if pin_keras) and its TF1 layers without the
  C++ start-up chatter on stderr.

  TensorFlow's C++ logs (CUDA probing, oneDNN notes) are written before
  TF_CPP_MIN_LOG_LEVEL is read, so stderr is parked in a file meanwhile and
  replayed only if the import fails (not when Ctrl-C stops it).
  """
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  sys.stderr.flush()
  saved_stderr = os.dup(2)
  with tempfile.TemporaryFile() as parked:
    os.dup2(parked.fileno(), 2)
    try:
      import tensorflow  # pylint: disable=g-import-not-at-top
      tensorflow.compat.v1.layers.Layer  # pylint: disable=pointless-statement
      if pin_keras:
        _pin_keras_choice()
    except Exception as e:
      if _caused_by_ctrl_c(e):
        raise KeyboardInterrupt from None
      os.dup2(saved_stderr, 2)
      parked.seek(0)
      sys.stderr.write(parked.read().decode(errors="replace"))
      raise
    finally:
      os.dup2(saved_stderr, 2)
      os.close(saved_stderr)
  return tensorflow


TF_VERSION = _prepare_environment()
tf = _import_tensorflow(pin_keras=major_minor(TF_VERSION) >= (2, 16))

