"""Failed writes (a full disk, a folder without permission or read-only) told in one line."""

import contextlib
import errno
import os

from estimator_cnn.base.errors import UserError

_WRITE_FAILURES = (  # (error codes, what it means, how to fix it)
    ((errno.ENOSPC, errno.EDQUOT), "the disk is full", "free some space"),
    ((errno.EACCES, errno.EPERM, errno.EROFS), "the folder is not writable", "make it writable"),
)


def write_failure(error):
  """(the system's words, what they mean, how to fix it) when error is a failed write, else None.

  A failed write is a full disk, or a folder without permission or read-only.
  TensorFlow's errors carry the system's error in their message only, so the
  error's text is matched (os.strerror).
  """
  for codes, reason, fix in _WRITE_FAILURES:
    cause = next((os.strerror(code) for code in codes if os.strerror(code) in str(error)), None)
    if cause:
      return cause, reason, fix
  return None


@contextlib.contextmanager
def failed_writes_in_one_line(message):
  """Turns a failed write (disk full, not writable) into a UserError of one line:
  message(the system's words, what they mean, how to fix it).

  Errors are matched on their text (write_failure): OSError, and TensorFlow's
  OpError and event file writer's RuntimeError, which carry the system's words.
  """
  try:
    yield
  except UserError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    failure = write_failure(e)
    if failure is None:
      raise
    raise UserError(message(*failure)) from e
