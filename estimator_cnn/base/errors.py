"""Errors that come from the user's input, reported as one line without a traceback."""

import signal


class UserError(Exception):
  """A mistake the user can fix: the message says what is wrong and how to fix it."""
  exit_code = 1
  prefix = "error: "


class DataError(UserError):
  """Missing, corrupt or malformed data files."""


class Interrupted(UserError):
  """Stopped by a signal; exits with 128 + its number, as a shell reports it."""
  prefix = ""

  def __init__(self, message, signal_number=signal.SIGINT):
    super().__init__(message)
    self.exit_code = 128 + signal_number


def stopped_early():
  """Ctrl-C where nothing was being written: nothing to keep or clean, so run it again."""
  return Interrupted("interrupted by SIGINT: stopped before the end; run the same command again")


class TrainingInterrupted(Interrupted):
  """Training stopped on SIGINT or SIGTERM after saving a checkpoint."""
