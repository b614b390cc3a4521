"""Fixtures of the modes' tests."""

import pytest

from tests.helpers import TINY, run_in_process


@pytest.fixture(scope="module")
def trained(fixture_data, tmp_path_factory):
  """A model_dir with checkpoints at steps 0 and 2 (gradient descent: small checkpoints); one per
  test module, which may change it."""
  path = str(tmp_path_factory.mktemp("trained") / "model")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={path}", *TINY,
                        "--optimizer=gradient_descent", "--steps=2") == 0
  return path
