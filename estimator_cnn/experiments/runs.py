"""The studies' cached runs: each trains in its own model_dir, named after a hash of its spec.

The spec holds all a run's result depends on (its config, the data's
fingerprint...), so a changed run trains afresh in another folder beside the
old one. A finished run keeps its record in MODEL_DIR/result.json and is
reused; an interrupted one keeps what it measured so far in
MODEL_DIR/progress.json and resumes from its checkpoint.
"""

import hashlib
import json
import os

import numpy as np

from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError
from estimator_cnn.data import idx_csv

RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.json"
_HASH_CHUNK = 10_000  # Examples hashed at a time.


def data_fingerprint(dataset):
  """Hash of the images and labels, so results on other data are never reused.

  uint8 images are hashed as float32 in [0, 1], a chunk at a time: the data held
  them so when the stored studies ran, and their runs keep their folders.
  """
  digest = hashlib.sha256()
  for array in (dataset.train_images, dataset.train_labels, dataset.test_images,
                dataset.test_labels):
    pixels = array.dtype == np.uint8
    digest.update(f"{np.dtype(np.float32) if pixels else array.dtype}{array.shape}".encode())
    for start in range(0, len(array), _HASH_CHUNK):
      chunk = array[start:start + _HASH_CHUNK]
      digest.update(np.ascontiguousarray(idx_csv.unit_float(chunk) if pixels else chunk))
  return digest.hexdigest()[:16]


def check_output_dir(output_dir):
  """Raises UserError if output_dir is a file."""
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise UserError(f"--output_dir={output_dir} is a file, not a folder: pass a folder path")


def run_dir(output_dir, prefix, spec):
  """OUTPUT_DIR/runs/<prefix>-<key>, the key a hash of the spec (a JSON-able dict)."""
  key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
  return os.path.join(output_dir, "runs", f"{prefix}-{key}")


def load_result(model_dir):
  """The finished run's record, or None."""
  path = os.path.join(model_dir, RESULT_FILE)
  if not os.path.exists(path):
    return None
  record = files.read_json(path, "run result")
  if not isinstance(record, dict) or "accuracy" not in record:
    raise UserError(f"{path} is not a run result: move it away to train that run again")
  return record


def save_result(model_dir, record):
  files.write_json(os.path.join(model_dir, RESULT_FILE), record)


def load_progress(model_dir):
  """The progress an earlier, interrupted session saved, or None."""
  path = os.path.join(model_dir, PROGRESS_FILE)
  return files.read_json(path, "run progress") if os.path.exists(path) else None


def save_progress(model_dir, progress):
  files.write_json(os.path.join(model_dir, PROGRESS_FILE), progress)


class Eta:
  """Time left for the remaining training steps, at this session's seconds per step."""

  def __init__(self, remaining_steps):
    self._remaining_steps = remaining_steps
    self._steps = 0
    self._seconds = 0.0

  def record(self, steps, seconds):
    """Counts steps trained (and measured) in seconds."""
    self._remaining_steps -= steps
    self._steps += steps
    self._seconds += seconds

  def steps_per_second(self):
    return self._steps / self._seconds if self._seconds else 0.0

  def seconds_left(self):
    """None before any step was recorded."""
    return self._remaining_steps * self._seconds / self._steps if self._steps else None

  def text(self):
    seconds = self.seconds_left()
    return "ETA unknown" if seconds is None else f"ETA {files.format_duration(seconds)}"
