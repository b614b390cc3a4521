"""The facade's public names, and those of its submodules and of tf.estimator, are TF 2.15's
(read from `tf.compat.v1.estimator` and `tf.estimator` on the legacy stack)."""

import types

import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from tests.legacy import probes


@pytest.fixture(scope="module")
def tf215_names(tf215_json):
  """TF 2.15's public names: "v1", "v1.<submodule>" for each of probes.SUBMODULES, and "v2"."""
  return tf215_json(["-m", "tests.legacy.probes", "estimator_names"])["result"]


def test_facade_all_is_tf215_public_names(tf215_names):
  """`__all__` of the facade is exactly TF 2.15's public names of tf.compat.v1.estimator."""
  assert sorted(tf_estimator.__all__) == tf215_names["v1"]
  assert "Estimator" in tf_estimator.__all__


def test_facade_names_are_tf_compat_v1_estimator_objects():
  """Each name of the facade is the very object of tf.compat.v1.estimator."""
  for name in tf_estimator.__all__:
    assert getattr(tf_estimator, name) is getattr(tf.compat.v1.estimator, name), name


@pytest.mark.parametrize("path", probes.SUBMODULES)
def test_submodule_public_names_are_tf215s(path, tf215_names):
  """tf_estimator.<submodule> is a module with TF 2.15's public names."""
  module = probes.submodule(tf_estimator, path)
  assert isinstance(module, types.ModuleType)
  assert probes.public_names(module) == tf215_names["v1." + path]


def test_tf_estimator_v2_public_names_are_tf215s(tf215_names):
  """tf.estimator (the v2 API) has TF 2.15's public names."""
  assert probes.public_names(tf.estimator) == tf215_names["v2"]
