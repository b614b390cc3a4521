"""Runs an untouched TF <= 2.15 Estimator script on current TensorFlow.

    python -m estimator_cnn.legacy script.py [its arguments]

prepares the environment (TF_USE_LEGACY_KERAS, the patches of
estimator_cnn.legacy.compat), then runs the script as `__main__` with its
arguments, so `tf.estimator`, `tf.compat.v1.estimator` and
`import tensorflow_estimator` work in it as on TF 2.15.
"""

import os
import runpy
import sys

from estimator_cnn.base.errors import UserError

USAGE = "usage: python -m estimator_cnn.legacy SCRIPT.py [ARGS...]"


def main(argv):
  """Runs argv[1] as __main__ with argv[1:] as its sys.argv; returns an exit code or raises."""
  if len(argv) < 2 or argv[1] in ("-h", "--help"):
    print(USAGE, file=sys.stderr if len(argv) < 2 else sys.stdout)
    return 2 if len(argv) < 2 else 0
  script = argv[1]
  if not os.path.isfile(script):
    print(f"error: {script} is not a file: name the Estimator script to run ({USAGE})",
          file=sys.stderr)
    return 2
  try:
    from estimator_cnn import estimator  # pylint: disable=g-import-not-at-top,unused-import
  except UserError as e:
    print(f"{e.prefix}{e}", file=sys.stderr)
    return e.exit_code
  sys.argv = argv[1:]
  sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
  runpy.run_path(script, run_name="__main__")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
