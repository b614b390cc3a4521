"""Atomic file writes, JSON reads that fail in one line, and durations in words."""

import json
import os

from estimator_cnn.base.errors import UserError


def write_atomically(path, text):
  """Writes text under a temporary name, then renames: an interrupted write leaves no half file."""
  temp = path + ".tmp"
  with open(temp, "w", newline="") as f:
    f.write(text)
  os.replace(temp, path)


def write_json(path, content, **dump_options):
  """Writes content as indented JSON, atomically."""
  write_atomically(path, json.dumps(content, indent=2, **dump_options) + "\n")


def read_json(path, what):
  """The JSON content of path; a missing or malformed file is a UserError naming `what`."""
  try:
    with open(path) as f:
      return json.load(f)
  except OSError as e:
    raise UserError(f"cannot read {what} {path}: {e.strerror}") from e
  except ValueError as e:
    raise UserError(f"{what} {path} is not valid JSON: {e}") from e


def format_duration(seconds):
  """'42s', '3m05s' or '2h07m'."""
  hours, rest = divmod(int(round(seconds)), 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
