"""Runs a command-line action: a user's mistake becomes one line on stderr and a non-zero exit.

Any other exception is a bug and keeps its traceback; verbose shows the
traceback of users' mistakes too.
"""

import importlib
import logging
import sys
import traceback
import warnings

from estimator_cnn.base.errors import UserError


def quiet_tensorflow():
  """Hides TensorFlow's deprecation chatter about tf.compat.v1, which this package means to use."""
  warnings.filterwarnings("ignore", category=UserWarning, module=r"(tf_keras|keras|tensorflow)\b")
  warnings.filterwarnings("ignore", message=r".*is deprecated and will be removed")
  logging.getLogger("tensorflow").setLevel(logging.ERROR)


def run(action, *args, verbose=False):
  """Runs action(*args), `action` named "module:function" and imported here; returns the exit code.

  Importing inside makes the mistakes of TensorFlow's set-up (estimator_cnn.base.tf_setup)
  one line too.
  """
  quiet_tensorflow()
  module, function = action.split(":")
  try:
    getattr(importlib.import_module(module), function)(*args)
  except UserError as e:
    if verbose:
      traceback.print_exc()
    print(f"{e.prefix}{e}", file=sys.stderr)
    return e.exit_code
  return 0
