"""JSON files written atomically and read with one-line errors; results as NAME.json and .md."""

import json
import os

from estimator_cnn.base import atomic_writes
from estimator_cnn.base.errors import UserError


def write_json(path, content, **dump_options):
  """Writes content as indented JSON, atomically."""
  atomic_writes.write_atomically(path, json.dumps(content, indent=2, **dump_options) + "\n")


def read_json(path, what):
  """The JSON content of path; a missing or malformed file is a UserError naming `what`."""
  try:
    with open(path) as f:
      return json.load(f)
  except OSError as e:
    raise UserError(f"cannot read {what} {path}: {e.strerror}") from e
  except ValueError as e:
    raise UserError(f"{what} {path} is not valid JSON: {e}") from e


def write_results(output_dir, name, content, markdown):
  """Writes NAME.json (content) and NAME.md (markdown) into output_dir; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  stem = os.path.join(output_dir, name)
  write_json(stem + ".json", content)
  atomic_writes.write_atomically(stem + ".md", markdown)
  return stem + ".json", stem + ".md"
