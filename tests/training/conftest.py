"""Fixtures of tests/training: a model_dir of one's own to damage."""

import shutil

import pytest


@pytest.fixture(name="model_dir")
def fixture_model_dir(tiny_model_dir, tmp_path):
  """A copy of the tiny model_dir: checkpoints at steps 0 and 10."""
  return shutil.copytree(tiny_model_dir, tmp_path / "model")
