"""Presets: parameter counts, a tiny Estimator run of each, batch norm by mode."""

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import model_fn
from estimator_cnn.model import networks
from estimator_cnn.model import presets
from estimator_cnn.training import build
from tests import idx_fixtures
from tests.helpers import build_graph, parse_run_flags

v1 = tf.compat.v1
ModeKeys = tf_estimator.ModeKeys
# (trainable, total): the total adds batch norm's moving means and variances.
PARAMETERS = {
    "blog_cnn": (1_447_946, 1_447_946),
    "tf_tutorial": (3_274_634, 3_274_634),
    "keras_cnn": (1_199_882, 1_199_882),
    "small_cnn": (31_626, 31_626),
    "bn_cnn": (3_452_874, 3_467_402),
    "mlp": (101_770, 101_770),
    "small_conv2": (421_642, 421_642),
}


def fixture_arrays(num):
  images, labels = idx_fixtures.make_images(num, seed=0)
  return images.astype(np.float32) / 255, labels.astype(np.int32)


def test_every_preset_is_a_flag_choice_and_builds_a_network_of_model_networks():
  assert parse_run_flags()["preset"].parser.enum_values == list(presets.PRESETS) == list(PARAMETERS)
  assert all(callable(getattr(networks, preset.network)) for preset in presets.PRESETS.values())


@pytest.mark.parametrize("preset,expected", PARAMETERS.items())
def test_parameter_counts_match_the_published_networks(preset, expected):
  assert model_fn.parameter_counts({"preset": preset}) == expected


@pytest.mark.parametrize("preset", PARAMETERS)
def test_each_preset_trains_evaluates_and_predicts(preset, tmp_path):
  images, labels = fixture_arrays(40)
  estimator = build.make_estimator(str(tmp_path), presets.PRESETS[preset].params, seed=1)
  estimator.train(build.train_input_fn(images, labels, batch_size=8), max_steps=2)
  metrics = estimator.evaluate(build.eval_input_fn(images[:16], labels[:16]))
  assert metrics["global_step"] == 2 and 0 <= metrics["accuracy"] <= 1
  assert np.isfinite(metrics["loss"])
  probabilities = build.predict_probabilities(estimator, images[:3])
  assert probabilities.shape == (3, 10)
  np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
  scopes = {name.split("/")[0] for name in estimator.get_variable_names() if "/" in name}
  if presets.PRESETS[preset].network == "blog_cnn":
    assert {"conv1", "conv2", "dense", "logits"} <= scopes
  else:
    assert scopes == {preset}


@pytest.mark.parametrize("mode", [ModeKeys.TRAIN, ModeKeys.EVAL])
def test_batch_norm_updates_moving_statistics_in_train_only(mode):
  graph, spec, images, labels = build_graph(mode, {"preset": "bn_cnn"})
  feed = {images: np.random.RandomState(0).rand(8, 28, 28), labels: np.arange(8) % 10}
  with graph.as_default(), v1.Session() as session:
    session.run([v1.global_variables_initializer(), v1.local_variables_initializer()])
    moving_mean, = [v for v in v1.global_variables() if v.op.name == "bn_cnn/conv1_bn/moving_mean"]
    before = session.run(moving_mean)
    step = spec.train_op if mode == ModeKeys.TRAIN else [spec.loss, spec.eval_metric_ops]
    session.run(step, feed)
    after = session.run(moving_mean)
    update_ops = graph.get_collection(v1.GraphKeys.UPDATE_OPS)
  assert len(update_ops) == (12 if mode == ModeKeys.TRAIN else 0)  # 6 layers x (mean, variance).
  assert np.array_equal(before, after) == (mode == ModeKeys.EVAL)


def test_batch_norm_predicts_each_image_with_moving_statistics():
  graph, spec, images, _ = build_graph(ModeKeys.PREDICT, {"preset": "bn_cnn"})
  batch = np.random.RandomState(1).rand(6, 28, 28)
  with graph.as_default(), v1.Session() as session:
    session.run(v1.global_variables_initializer())
    alone = session.run(spec.predictions["probabilities"], {images: batch[:1]})
    in_batch = session.run(spec.predictions["probabilities"], {images: batch})
  np.testing.assert_allclose(alone[0], in_batch[0], rtol=1e-5)


@pytest.mark.parametrize("optimizer", presets.OPTIMIZERS)
def test_each_optimizer_name_trains_with_its_tf_compat_v1_class(optimizer):
  graph, _, _, _ = build_graph(ModeKeys.TRAIN, {"optimizer": optimizer, "conv_blocks": 2})
  applied = "Apply" + presets.OPTIMIZERS[optimizer].removesuffix("Optimizer")
  assert any(op.type.endswith(applied) for op in graph.get_operations())


def test_conv_blocks_are_the_blog_networks_depths():
  assert presets.CONV_BLOCKS == tuple(range(2, len(networks.CONV_FILTERS) + 1))
  assert presets.DEFAULT_PARAMS["conv_blocks"] in presets.CONV_BLOCKS


def test_batch_size_is_the_given_one_else_the_tuned_recipes_else_the_presets():
  assert presets.batch_size() == presets.DEFAULT_BATCH_SIZE == 100
  assert presets.batch_size(recipe="fast") == presets.TUNED_RECIPES["fast"]["batch_size"]
  assert presets.batch_size(None, None, "bn_cnn") == 50
  assert presets.batch_size(30, "fast", "bn_cnn") == 30
