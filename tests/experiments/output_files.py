"""The studies' output files, as the tests look at them."""

import json
import os

# durations.format_duration's forms (42s, 3m05s, 2h07m): a progress
# line's times, whose size depends on how fast the CPU is.
DURATION = r"(\d+h\d\dm|(\d+m)?\d\d?s)"


def read_json(path):
  with open(path) as f:
    return json.load(f)


def file_states(folder):
  """{relative path: (size, mtime)} of every file below folder."""
  states = {}
  for root, _, files in os.walk(folder):
    for name in files:
      path = os.path.join(root, name)
      states[os.path.relpath(path, folder)] = (os.path.getsize(path), os.path.getmtime(path))
  return states
