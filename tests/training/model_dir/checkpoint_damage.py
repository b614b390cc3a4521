"""Damage done to a model_dir's checkpoints, as the tests of tests/training do it."""

import os


def cut_in_half(path):
  with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) // 2)


def checkpoint_file_names(model_dir):
  return sorted(name for name in os.listdir(model_dir) if name.startswith("model.ckpt"))


def remove_checkpoint(model_dir, step):
  for name in checkpoint_file_names(model_dir):
    if name.startswith(f"model.ckpt-{step}."):
      os.remove(model_dir / name)
