"""Shared fixtures: the tf.estimator implementations a test runs against, and fixture data."""

import types

import pytest

from estimator_cnn import estimator as public_estimator
from estimator_cnn.compat import tf
from tests import idx_fixtures
from tests.test_run import TINY, run_in_process


def _ours():
  """This package's runtime under the tf.estimator names."""
  if not public_estimator.IS_REAL_TF_ESTIMATOR:
    return public_estimator
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.runtime import export, hooks, inputs
  from estimator_cnn.runtime.estimator import Estimator
  from estimator_cnn.runtime.run_config import RunConfig
  from estimator_cnn.runtime.spec import EstimatorSpec, ModeKeys
  # pylint: enable=g-import-not-at-top
  return types.SimpleNamespace(
      Estimator=Estimator, EstimatorSpec=EstimatorSpec, ModeKeys=ModeKeys, RunConfig=RunConfig,
      export=export, inputs=inputs,
      **{name: getattr(hooks, name) for name in dir(hooks) if name[0].isupper()})


def _real():
  """`tf.compat.v1.estimator` where TensorFlow still ships it, else None."""
  try:
    return tf.compat.v1.estimator
  except (AttributeError, ImportError):
    return None


IMPLEMENTATIONS = {"ours": _ours}
if _real() is not None:
  IMPLEMENTATIONS["tf.estimator"] = _real


@pytest.fixture(scope="session", params=sorted(IMPLEMENTATIONS))
def estimator_module(request):
  """The tf.estimator namespace under test: ours, and the real one where it exists."""
  return IMPLEMENTATIONS[request.param]()


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
