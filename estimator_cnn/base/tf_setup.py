"""Imports TensorFlow the way this package needs it, on legacy and current stacks.

TensorFlow >= 2.16 ships Keras 3, whose layers do not work in graph mode; the
TF1 layers (`tf.compat.v1.layers`) come back with tf-keras and
TF_USE_LEGACY_KERAS=1, which must be set before TensorFlow is first imported.
On TensorFlow <= 2.15 that variable breaks `tf.compat.v1.estimator` when
tf-keras is absent, so it is set only where it is needed.

Import TensorFlow through this module (`from estimator_cnn.base.tf_setup import tf`).
"""

import importlib.metadata
import importlib.util
import os
import sys
import tempfile

from estimator_cnn.base.errors import UserError

_TF_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel",
                     "tensorflow-macos", "tf-nightly")


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


def _prepare_environment():
  """Checks the stack and sets TF_USE_LEGACY_KERAS; returns the TF version."""
  version = _installed_version(_TF_DISTRIBUTIONS)
  if version is None:
    raise UserError("TensorFlow is not installed: pip install -r requirements.txt "
                    "(or requirements-legacy.txt for TensorFlow 2.15)")
  if major_minor(version) < (2, 16):
    if importlib.util.find_spec("tf_keras") is None:
      os.environ.pop("TF_USE_LEGACY_KERAS", None)
    return version
  if importlib.util.find_spec("tf_keras") is None:
    raise UserError(f"TensorFlow {version} needs tf-keras for tf.compat.v1.layers: "
                    f"pip install 'tf-keras=={'.'.join(version.split('.')[:2])}.*'")
  legacy = os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true")
  if "tensorflow" in sys.modules and not legacy:
    raise UserError("TensorFlow was imported with Keras 3 before estimator_cnn: set "
                    "TF_USE_LEGACY_KERAS=1 in the environment (or import estimator_cnn "
                    "before tensorflow)")
  os.environ["TF_USE_LEGACY_KERAS"] = "1"
  return version


def _caused_by_ctrl_c(error):
  """Whether a KeyboardInterrupt caused error: Ctrl-C while a C extension initializes surfaces
  as "ImportError: initialization failed" raised from it."""
  while error is not None:
    if isinstance(error, KeyboardInterrupt):
      return True
    error = error.__cause__ or error.__context__
  return False


def _import_tensorflow():
  """Imports TensorFlow and its TF1 layers without the C++ start-up chatter on stderr.

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
tf = _import_tensorflow()

