"""The studies' output files, as the tests look at them."""

import json
import os


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
