"""Errors that come from the user's input, reported as one line without a traceback."""


class UserError(Exception):
  """A mistake the user can fix: the message says what is wrong and how to fix it."""
  exit_code = 1
  prefix = "error: "


class DataError(UserError):
  """Missing, corrupt or malformed data files."""


class TrainingInterrupted(UserError):
  """Training stopped on SIGINT or SIGTERM after saving a checkpoint."""
  prefix = ""

  def __init__(self, message, signal_number):
    super().__init__(message)
    self.exit_code = 128 + signal_number
