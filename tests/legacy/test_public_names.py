"""The facade's public names, and those of its submodules and of tf.estimator, are TF 2.15's
(read from `tf.compat.v1.estimator` and `tf.estimator` on the legacy stack)."""

import types

import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf

SUBMODULES = ("export", "inputs", "experimental", "tpu", "tpu.experimental")

# Prints TF 2.15's public names of tf.compat.v1.estimator, of its SUBMODULES (keyed "v1.NAME")
# and of tf.estimator ("v2") as a JSON line.
_TF215_NAMES_SNIPPET = """
import json
import sys

import tensorflow as tf


def public_names(module):
  return sorted(name for name in dir(module) if not name.startswith("_"))


def submodule(module, path):
  for part in path.split("."):
    module = getattr(module, part)
  return module


names = {"v1": public_names(tf.compat.v1.estimator), "v2": public_names(tf.estimator)}
for path in sys.argv[1:]:
  names["v1." + path] = public_names(submodule(tf.compat.v1.estimator, path))
print(json.dumps({"tf_version": tf.__version__, "names": names}))
"""


def _public_names(module):
  return sorted(name for name in dir(module) if not name.startswith("_"))


def _submodule(module, path):
  for part in path.split("."):
    module = getattr(module, part)
  return module


@pytest.fixture(scope="module")
def tf215_names(tf215_json):
  """TF 2.15's public names: "v1", "v1.<submodule>" for each of SUBMODULES, and "v2"."""
  return tf215_json(["-c", _TF215_NAMES_SNIPPET, *SUBMODULES])["names"]


def test_facade_all_is_tf215_public_names(tf215_names):
  """`__all__` of the facade is exactly TF 2.15's public names of tf.compat.v1.estimator."""
  assert sorted(tf_estimator.__all__) == tf215_names["v1"]
  assert "Estimator" in tf_estimator.__all__


def test_facade_names_are_tf_compat_v1_estimator_objects():
  """Each name of the facade is the very object of tf.compat.v1.estimator."""
  for name in tf_estimator.__all__:
    assert getattr(tf_estimator, name) is getattr(tf.compat.v1.estimator, name), name


@pytest.mark.parametrize("path", SUBMODULES)
def test_submodule_public_names_are_tf215s(path, tf215_names):
  """tf_estimator.<submodule> is a module with TF 2.15's public names."""
  module = _submodule(tf_estimator, path)
  assert isinstance(module, types.ModuleType)
  assert _public_names(module) == tf215_names["v1." + path]


def test_tf_estimator_v2_public_names_are_tf215s(tf215_names):
  """tf.estimator (the v2 API) has TF 2.15's public names."""
  assert _public_names(tf.estimator) == tf215_names["v2"]
