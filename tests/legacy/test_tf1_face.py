"""The TF 1.x face: tf.compat.v1 plus the tables' tf.contrib names, for a script's own modules."""

import importlib
import sys

import pytest

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import tf1_face

FACE = tf1_face.FACE


def test_the_face_is_tf_compat_v1():
  assert FACE.logging is tf.compat.v1.logging
  assert FACE.train.AdamOptimizer is tf.compat.v1.train.AdamOptimizer
  assert FACE.placeholder is tf.compat.v1.placeholder
  assert FACE.estimator is tf.compat.v1.estimator
  assert FACE.__version__ == tf.__version__


def test_contrib_names_the_tables_rename_are_the_new_objects():
  assert FACE.contrib.data.map_and_batch is tf.data.experimental.map_and_batch
  assert FACE.contrib.framework.nest.flatten is tf.nest.flatten
  assert FACE.contrib.training.checkpoints_iterator is tf.compat.v1.train.checkpoints_iterator


def test_other_contrib_names_are_one_line_naming_the_replacement():
  with pytest.raises(tf1_face.ContribRemoved) as raised:
    FACE.contrib.layers.layer_norm  # pylint: disable=pointless-statement
  message = str(raised.value)
  assert "tf.contrib.layers.layer_norm" in message and "tf_slim.layers.layer_norm" in message
  assert "\n" not in message
  for module, successor in (("lookup", "tf.lookup"), ("learn", "tf.estimator")):
    with pytest.raises(tf1_face.ContribRemoved, match=f"use {successor} "):
      getattr(FACE.contrib, module)
  with pytest.raises(tf1_face.ContribRemoved, match="tf.contrib.slim"):
    tf1_face.FACE_BUILTINS["__import__"]("tensorflow.contrib.slim", {}, {}, ["arg_scope"], 0)


def test_own_modules_get_the_face_installed_libraries_the_real_tensorflow(tmp_path, monkeypatch):
  (tmp_path / "own_tf1_module.py").write_text(
      "import numpy\nimport tensorflow as tf\nfrom tensorflow import logging\n"
      "import tensorflow.compat.v1 as v1\nfrom tensorflow.python.framework import ops\n")
  finder = tf1_face.OwnModulesFinder(str(tmp_path))
  monkeypatch.syspath_prepend(str(tmp_path))
  monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
  try:
    module = importlib.import_module("own_tf1_module")
  finally:
    sys.modules.pop("own_tf1_module", None)
  assert module.tf is FACE and module.logging is tf.compat.v1.logging
  assert module.v1.placeholder is tf.compat.v1.placeholder
  assert module.ops is sys.modules["tensorflow.python.framework.ops"]
  assert finder.find_spec("numpy", None) is None  # Installed: the real import system's.
  assert finder.find_spec("estimator_cnn", None) is None


def test_contrib_calls_the_converter_rewrites_run_as_it_rewrites_them():
  """tf.contrib.layers.xavier_initializer(uniform, seed) is VarianceScaling(scale=1.0,
  mode="fan_avg", distribution="uniform" if uniform else "truncated_normal", seed=seed)."""
  initializer = FACE.contrib.layers.xavier_initializer(False, 7)
  assert initializer.get_config()["distribution"] == "truncated_normal"
  assert initializer.get_config()["mode"] == "fan_avg"
  assert initializer.get_config()["scale"] == 1.0 and initializer.get_config()["seed"] == 7
  assert FACE.contrib.layers.xavier_initializer().get_config()["distribution"] == "uniform"
