"""The TensorFlow set-up: the packages it finds missing, what it makes of a Ctrl-C inside
TensorFlow's import."""

import pytest

from estimator_cnn.base import tf_setup


def _import_error_raised_from(cause):
  try:
    raise cause
  except BaseException as e:  # pylint: disable=broad-except
    try:
      raise ImportError("initialization failed") from e
    except ImportError as error:
      return error


def test_ctrl_c_inside_a_c_extensions_initialization_is_recognized():
  assert tf_setup._caused_by_ctrl_c(_import_error_raised_from(KeyboardInterrupt()))
  assert not tf_setup._caused_by_ctrl_c(_import_error_raised_from(OSError("no such file")))
  assert not tf_setup._caused_by_ctrl_c(ImportError("no module named x"))


@pytest.mark.parametrize("tf_version,absent,missing", [
    ("2.21.0", {"tf_keras", "tensorflow_estimator"},
     ["tf-keras==2.21.*", "tensorflow-estimator==2.15.0"]),
    ("2.20.1", {"tensorflow_estimator"}, ["tensorflow-estimator==2.15.0"]),
    ("2.16.2", {"tf_keras"}, ["tf-keras==2.16.*"]),
    ("2.21.0", set(), []),
    # TensorFlow 2.15 needs no tf-keras and brings its own tf.estimator.
    ("2.15.1", {"tf_keras"}, []),
    ("2.15.1", {"tf_keras", "tensorflow_estimator"}, ["tensorflow-estimator==2.15.*"]),
])
def test_missing_packages_names_every_one_the_stack_lacks(tf_version, absent, missing):
  assert tf_setup.missing_packages(tf_version, lambda module: module not in absent) == missing
