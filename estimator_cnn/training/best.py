"""Keeps the checkpoint of best validation accuracy in MODEL_DIR/best/, as BestExporter would.

For recipes whose source picked the checkpoint of best validation accuracy:
best/ holds a copy of that checkpoint, the model_dir's params.json, and
best.json with its step, accuracy and loss.
"""

import glob
import json
import os
import shutil

from estimator_cnn.training import metrics_record
from estimator_cnn.training.model_dir import saved_params

BEST_DIR = "best"
BEST_FILE = "best.json"


def best_dir(model_dir):
  return os.path.join(model_dir, BEST_DIR)


def load_best(model_dir):
  """best.json of MODEL_DIR/best/ ({"step", "accuracy", "loss", "checkpoint"}), or None."""
  path = os.path.join(best_dir(model_dir), BEST_FILE)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def keep_if_best(model_dir, checkpoint, metrics):
  """Copies checkpoint to MODEL_DIR/best/ if its validation accuracy beats the kept one's.

  Args:
    model_dir: the model_dir holding checkpoint and params.json.
    checkpoint: path prefix of the evaluated checkpoint.
    metrics: its validation metrics from Estimator.evaluate.

  Returns:
    Whether the checkpoint is the new best.
  """
  best = load_best(model_dir)
  if best is not None and best["accuracy"] >= metrics["accuracy"]:
    return False
  target = best_dir(model_dir)
  staging, old = f"{target}.tmp", f"{target}.old"
  for leftover in (staging, old):
    shutil.rmtree(leftover, ignore_errors=True)
  os.makedirs(staging)
  for path in glob.glob(f"{glob.escape(checkpoint)}.*"):
    shutil.copy2(path, staging)
  name = os.path.basename(checkpoint)
  with open(os.path.join(staging, "checkpoint"), "w") as f:
    f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
  params = os.path.join(model_dir, saved_params.PARAMS_FILE)
  if os.path.exists(params):
    shutil.copy2(params, staging)
  with open(os.path.join(staging, BEST_FILE), "w") as f:
    json.dump({**metrics_record.from_metrics(metrics), "checkpoint": name}, f, indent=2)
  if os.path.exists(target):
    os.replace(target, old)
  os.replace(staging, target)
  shutil.rmtree(old, ignore_errors=True)
  return True
