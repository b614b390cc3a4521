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


class Terminated(KeyboardInterrupt):
  """SIGTERM, raised in the main thread as Ctrl-C is (base.command), so it cleans up the same."""
  signal_number = signal.SIGTERM


def signal_of(interrupt):
  """The signal a KeyboardInterrupt stands for: SIGTERM for Terminated, else SIGINT."""
  return signal.Signals(getattr(interrupt, "signal_number", signal.SIGINT))


def stopped_early(interrupt=None):
  """Ctrl-C (or SIGTERM) where nothing was being written: nothing to keep or clean, so run it
  again."""
  stopped_by = signal_of(interrupt)
  return Interrupted(f"interrupted by {stopped_by.name}: stopped before the end; run the same "
                     "command again", stopped_by)


class TrainingInterrupted(Interrupted):
  """Training stopped on SIGINT or SIGTERM after saving a checkpoint."""
