"""Shared fixtures: fixture data and a tiny trained model_dir."""

import pytest

from tests import idx_fixtures
from tests.helpers import TINY, run_in_process


@pytest.fixture(scope="session")
def fixture_data(tmp_path_factory):
  """A folder of small, learnable Fashion-MNIST-shaped IDX files (300 train, 100 test); read only."""
  return idx_fixtures.write_fixture_dataset(str(tmp_path_factory.mktemp("data")), 300, 100)


@pytest.fixture(scope="session")
def tiny_model_dir(fixture_data, tmp_path_factory):
  """A model_dir trained 10 steps on fixture_data by run.py; read only."""
  path = str(tmp_path_factory.mktemp("model"))
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={path}", *TINY,
                        "--steps=10") == 0
  return path
