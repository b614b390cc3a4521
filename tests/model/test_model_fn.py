"""model_fn in each mode: shapes, dtypes, parameter counts, and the ops each mode builds."""

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import model_fn
from tests.helpers import build_graph

v1 = tf.compat.v1
BATCH = 4


def _trainable_parameters(graph):
  with graph.as_default():
    return sum(int(np.prod(v.shape.as_list())) for v in v1.trainable_variables())


@pytest.mark.parametrize("conv_blocks,expected", [(3, 1_447_946), (2, 3_274_634)])
def test_trainable_parameter_count(conv_blocks, expected):
  graph, _, _, _ = build_graph(tf_estimator.ModeKeys.PREDICT, {"conv_blocks": conv_blocks})
  assert _trainable_parameters(graph) == expected


def test_predict_mode_outputs_classes_and_probabilities():
  graph, spec, images, _ = build_graph(tf_estimator.ModeKeys.PREDICT)
  assert spec.loss is None and spec.train_op is None
  assert set(spec.export_outputs) == {"serving_default"}
  with graph.as_default(), v1.Session() as session:
    session.run(v1.global_variables_initializer())
    out = session.run(spec.predictions, {images: np.random.RandomState(0).rand(BATCH, 28, 28)})
  assert out["classes"].shape == (BATCH,) and out["classes"].dtype == np.int64
  assert out["probabilities"].shape == (BATCH, 10) and out["probabilities"].dtype == np.float32
  np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
  assert graph.get_tensor_by_name("softmax_tensor:0") is not None


def test_eval_mode_reports_accuracy_and_loss():
  graph, spec, images, labels = build_graph(tf_estimator.ModeKeys.EVAL)
  assert set(spec.eval_metric_ops) == {"accuracy"} and spec.train_op is None
  value, update = spec.eval_metric_ops["accuracy"]
  with graph.as_default(), v1.Session() as session:
    session.run([v1.global_variables_initializer(), v1.local_variables_initializer()])
    feed = {images: np.zeros((BATCH, 28, 28)), labels: np.zeros(BATCH)}
    loss, _ = session.run([spec.loss, update], feed)
    accuracy = session.run(value)
  assert loss.shape == () and np.isfinite(loss)
  assert 0.0 <= accuracy <= 1.0


@pytest.mark.parametrize("optimizer,slot", [("adam", "conv1/kernel/Adam"),
                                            ("gradient_descent", None)])
def test_train_mode_updates_weights_and_global_step(optimizer, slot):
  graph, spec, images, labels = build_graph(tf_estimator.ModeKeys.TRAIN, {"optimizer": optimizer})
  with graph.as_default():
    variables = {v.op.name: v for v in v1.global_variables()}
    kernel = variables["conv1/kernel"]
    with v1.Session() as session:
      session.run(v1.global_variables_initializer())
      before = session.run(kernel)
      feed = {images: np.random.RandomState(1).rand(BATCH, 28, 28), labels: np.arange(BATCH)}
      session.run(spec.train_op, feed)
      after, step = session.run([kernel, v1.train.get_global_step()])
  assert step == 1
  assert not np.allclose(before, after)
  assert (slot in variables) if slot else not any("Adam" in n for n in variables)


def test_dropout_layers_follow_params():
  def dropout_ops(params):
    graph, _, _, _ = build_graph(tf_estimator.ModeKeys.TRAIN, params)
    return sorted({op.name.split("/")[0] for op in graph.get_operations()
                   if op.name.startswith("dropout")})

  assert dropout_ops({}) == ["dropout_dense", "dropout_pool2", "dropout_pool3"]
  assert dropout_ops({"dropout_pool2": 0.0, "dropout_pool3": 0.0}) == ["dropout_dense"]
  assert dropout_ops({"conv_blocks": 2, "dropout_dense": 0.0}) == ["dropout_pool2"]


def test_variable_shapes_include_optimizer_slots():
  shapes = model_fn.variable_shapes({"conv_blocks": 2})
  assert shapes["dense/kernel"] == [7 * 7 * 64, 1024]
  assert "dense/kernel/Adam_1" in shapes and "global_step" in shapes


def test_uint8_pixels_are_scaled_to_the_float_images_of_the_same_picture():
  pixels = np.random.RandomState(0).randint(0, 256, (BATCH, 28, 28)).astype(np.uint8)
  with tf.Graph().as_default(), v1.Session() as session:
    scaled = session.run(model_fn.unit_range(tf.constant(pixels)))
    floats = session.run(model_fn.unit_range(tf.constant(pixels / 255, tf.float32)))
  assert scaled.dtype == np.float32 and scaled.min() >= 0 and scaled.max() <= 1
  np.testing.assert_array_equal(scaled, pixels.astype(np.float32) / 255)
  np.testing.assert_array_equal(floats, (pixels / 255).astype(np.float32))


def test_label_smoothing_trains_against_smoothed_targets():
  with tf.Graph().as_default(), v1.Session() as session:
    logits = tf.constant([[10.0] + [0.0] * 9, [0.0, 10.0] + [0.0] * 8])
    labels = tf.constant([0, 1])
    plain, smoothed = session.run([
        model_fn.training_loss(labels, logits, {}),
        model_fn.training_loss(labels, logits, {"label_smoothing": 0.1})])
  # Smoothed targets 0.9 + 0.01 on the label and 0.01 elsewhere: cross-entropy of softmax.
  log_softmax = 10.0 - np.log(np.exp(10.0) + 9)
  expected = -(0.91 * log_softmax + 0.09 * (log_softmax - 10.0))
  assert plain == pytest.approx(-log_softmax, rel=1e-3)
  assert smoothed == pytest.approx(expected, rel=1e-3)
