"""Runs a command-line action: a user's mistake becomes one line on stderr and a non-zero exit.

So does Ctrl-C (exit code 130), and SIGTERM (143) after the same clean-up. Any
other exception is a bug and keeps its traceback; verbose shows the traceback of
users' mistakes and of Ctrl-C too.
"""

import contextlib
import importlib
import logging
import signal
import sys
import threading
import traceback
import warnings

from estimator_cnn.base import errors
from estimator_cnn.base import write_failures
from estimator_cnn.base.errors import UserError

# TensorFlow's thread that writes event files; when a write fails, the next summary
# written raises the same error in the main thread.
EVENT_WRITER_THREAD = "EventLoggerThread"
EVENT_WRITER_ERROR = "EventFileWriter writer thread error"


def quiet_tensorflow():
  """Hides TensorFlow's deprecation chatter about tf.compat.v1, which this package means to use,
  and its event writer's log line about a failed write, which is reported in one line."""
  warnings.filterwarnings("ignore", category=UserWarning, module=r"(tf_keras|keras|tensorflow)\b")
  warnings.filterwarnings("ignore", message=r".*is deprecated and will be removed")
  logger = logging.getLogger("tensorflow")
  logger.setLevel(logging.ERROR)
  logger.addFilter(_not_a_failed_event_write)  # Added once: addFilter skips a filter it has.


def _not_a_failed_event_write(record):
  return not (str(record.msg).startswith(EVENT_WRITER_ERROR)
              and write_failures.write_failure(record.getMessage()))


@contextlib.contextmanager
def _failed_event_writes_kept_quiet():
  """Keeps the event writer thread's traceback of a failed write (disk full, not writable) off
  stderr meanwhile: the main thread gets the same error, reported in one line."""
  previous = threading.excepthook

  def excepthook(args):
    if not (args.thread is not None and args.thread.name == EVENT_WRITER_THREAD
            and write_failures.write_failure(args.exc_value)):
      previous(args)

  threading.excepthook = excepthook
  try:
    yield
  finally:
    threading.excepthook = previous


@contextlib.contextmanager
def _terminate_as_interrupt():
  """Makes SIGTERM raise errors.Terminated in the main thread meanwhile, as SIGINT raises
  KeyboardInterrupt: the blocks that clean up after Ctrl-C (temporary folders, partial
  files) then run for SIGTERM too. Training sets its own handler, which saves a checkpoint."""
  if threading.current_thread() is not threading.main_thread():
    yield
    return

  def terminate(signum, frame):
    del signum, frame
    raise errors.Terminated()

  previous = signal.signal(signal.SIGTERM, terminate)
  try:
    yield
  finally:
    signal.signal(signal.SIGTERM, previous)


def run(action, *args, verbose=False):
  """Runs action(*args), `action` named "module:function" and imported here; returns the exit code.

  Importing inside makes the mistakes of TensorFlow's set-up (estimator_cnn.base.tf_setup),
  and a Ctrl-C while TensorFlow loads, one line too.
  """
  quiet_tensorflow()
  module, function = action.split(":")
  try:
    with _failed_event_writes_kept_quiet(), _terminate_as_interrupt():
      getattr(importlib.import_module(module), function)(*args)
  except (UserError, KeyboardInterrupt) as e:
    if verbose:
      traceback.print_exc()
    error = e if isinstance(e, UserError) else errors.stopped_early(e)
    print(f"{error.prefix}{error}", file=sys.stderr)
    return error.exit_code
  return 0
