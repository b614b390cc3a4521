"""Fresh run folders: runs/YYYYmmdd-HHMMSS-TAG, for a training given no --model_dir."""

import datetime
import os


def new_run_dir(root, tag):
  """Creates and returns root/YYYYmmdd-HHMMSS-TAG (with a suffix if it exists)."""
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  path = os.path.join(root, f"{stamp}-{tag}")
  candidate, suffix = path, 1
  while os.path.exists(candidate):
    suffix += 1
    candidate = f"{path}-{suffix}"
  os.makedirs(candidate)
  return candidate
