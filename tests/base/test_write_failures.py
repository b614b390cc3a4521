"""base.write_failures: failed writes told apart from other errors, in words."""

import errno
import os

import pytest

from estimator_cnn.base import write_failures
from estimator_cnn.base.tf_setup import tf


@pytest.mark.parametrize("error,words", [
    (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "x"), "No space left on device"),
    (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), os.strerror(errno.EDQUOT)),
    (PermissionError(errno.EACCES, os.strerror(errno.EACCES)), "Permission denied"),
    (PermissionError(errno.EPERM, os.strerror(errno.EPERM)), "Operation not permitted"),
    (OSError(errno.EROFS, os.strerror(errno.EROFS)), "Read-only file system"),
    (tf.errors.ResourceExhaustedError(None, None, "x/part-0; No space left on device"),
     "No space left on device"),
    (RuntimeError("x/events.out.tfevents.1; No space left on device\n\tFailed to flush 2 "
                  "events"), "No space left on device"),
])
def test_failed_writes_are_told_apart(error, words):
  cause, reason, fix = write_failures.write_failure(error)
  assert cause == words
  assert (reason, fix) in (("the disk is full", "free some space"),
                           ("the folder is not writable", "make it writable"))


@pytest.mark.parametrize("error", [
    FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)),
    tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor"),
    RuntimeError("something else"),
])
def test_other_errors_are_not_failed_writes(error):
  assert write_failures.write_failure(error) is None