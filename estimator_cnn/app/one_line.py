"""What stops a mode's writes, in one line: Ctrl-C, SIGTERM, a full disk, a folder not writable.

No TensorFlow here: --mode=inspect uses it without loading TensorFlow.
"""

import contextlib

from estimator_cnn.base import errors
from estimator_cnn.base import write_failures
from estimator_cnn.base.errors import Interrupted


@contextlib.contextmanager
def stops_in_one_line(path=None, flag=None, kept=None):
  """Turns Ctrl-C or SIGTERM, and a failed write to --flag's path (disk full, not writable), into
  one line.

  The line says that nothing was written to path, and what is kept there, e.g.
  "its earlier versions are kept".
  """
  try:
    with write_failures_in_one_line(path, kept, flag) if path else contextlib.nullcontext():
      yield
  except KeyboardInterrupt as e:
    stopped_by = errors.signal_of(e)
    raise Interrupted(f"interrupted by {stopped_by.name}: nothing written"
                      + (f" to {path}, {kept}" if path else ""), stopped_by) from None


def write_failures_in_one_line(path, kept, flag=None):
  """Turns a failed write to path (disk full, not writable) into one line: kept, and the fix."""
  another = f", or pass another --{flag}" if flag else ""
  return write_failures.failed_writes_in_one_line(
      lambda cause, reason, fix: f"cannot write to {path}: {cause}, {reason}; {kept}: {fix} and "
      f"run again{another}")
