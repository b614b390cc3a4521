"""The TensorFlow set-up: what it makes of a Ctrl-C inside TensorFlow's import."""

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
