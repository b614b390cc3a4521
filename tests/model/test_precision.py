"""bfloat16 mixed precision: dtypes in the graph, the CPU check and its fallback, checkpoints."""

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base import cpu
from estimator_cnn.model import model_fn
from estimator_cnn.model import precision
from estimator_cnn.base.tf_setup import tf
from tests import idx_fixtures

v1 = tf.compat.v1
BF16 = {"dtype": "bfloat16"}
# Small enough for emulated bf16 (slow on CPUs without it) to train in seconds.
TINY = {"conv_blocks": 2, "dropout_pool2": 0.0, "dropout_pool3": 0.0,
        "optimizer": "gradient_descent", "learning_rate": 0.05}


@pytest.fixture(name="fallback_not_yet_printed")
def fixture_fallback_not_yet_printed(monkeypatch):
  monkeypatch.setitem(precision._state, "warned", False)  # pylint: disable=protected-access


@pytest.fixture(name="bf16_cpu")
def fixture_bf16_cpu(monkeypatch):
  """Pretends the CPU has AVX512_BF16: TensorFlow emulates bf16 where it hasn't."""
  monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))


@pytest.fixture(name="plain_cpu")
def fixture_plain_cpu(monkeypatch, fallback_not_yet_printed):
  del fallback_not_yet_printed
  monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx512f", "avx512_vnni"}))


def _train_graph(params):
  graph = tf.Graph()
  with graph.as_default():
    v1.train.get_or_create_global_step()
    images = v1.placeholder(tf.float32, [None, 28, 28])
    labels = v1.placeholder(tf.int32, [None])
    spec = model_fn.model_fn({model_fn.FEATURE_KEY: images}, labels, tf_estimator.ModeKeys.TRAIN,
                          params)
  return graph, spec


def _op_dtypes(graph, op_type):
  return {op.name: op.get_attr("T") for op in graph.get_operations() if op.type == op_type}


def test_bf16_computes_in_bf16_with_float32_variables_and_loss(bf16_cpu):
  del bf16_cpu
  graph, spec = _train_graph(BF16)
  convs = _op_dtypes(graph, "Conv2D")
  assert sorted(convs) == ["conv1/Conv2D", "conv2/Conv2D", "conv3/Conv2D"]
  assert set(convs.values()) == {tf.bfloat16}
  assert set(_op_dtypes(graph, "MatMul").values()) == {tf.bfloat16}
  with graph.as_default():
    variables = {v.op.name: v.dtype.base_dtype for v in v1.global_variables()}
  assert variables.pop("global_step") == tf.int64
  assert set(variables.values()) == {tf.float32}
  assert spec.loss.dtype == tf.float32
  assert graph.get_tensor_by_name("softmax_tensor:0").dtype == tf.float32


def test_bf16_keeps_the_variable_names_and_shapes_of_float32(bf16_cpu):
  del bf16_cpu
  assert model_fn.variable_shapes(BF16) == model_fn.variable_shapes({})


def test_float32_builds_no_bf16_op(bf16_cpu):
  del bf16_cpu
  graph, _ = _train_graph({"dtype": "float32"})
  assert not [op.name for op in graph.get_operations()
              if any(output.dtype == tf.bfloat16 for output in op.outputs)]


def test_without_cpu_support_bf16_falls_back_to_float32_saying_so_once(plain_cpu, capsys):
  del plain_cpu
  assert precision.compute_dtype("bfloat16") == tf.float32
  graph, _ = _train_graph(BF16)
  assert set(_op_dtypes(graph, "Conv2D").values()) == {tf.float32}
  assert capsys.readouterr().out == precision.FALLBACK_MESSAGE + "\n"


def test_float32_says_nothing_about_bf16(plain_cpu, capsys):
  del plain_cpu
  assert precision.compute_dtype(None) == precision.compute_dtype("float32") == tf.float32
  assert capsys.readouterr().out == ""


def test_allowed_emulation_computes_in_bf16_without_cpu_support(plain_cpu, monkeypatch, capsys):
  del plain_cpu
  monkeypatch.setitem(precision._state, "allow_emulation", False)  # pylint: disable=protected-access
  precision.allow_emulation()
  assert precision.compute_dtype("bfloat16") == tf.bfloat16
  assert capsys.readouterr().out == ""


def test_unknown_dtype_is_refused():
  with pytest.raises(ValueError, match="float16"):
    precision.compute_dtype("float16")


def test_bf16_checkpoint_evaluates_and_predicts_in_float32(bf16_cpu, tmp_path):
  del bf16_cpu
  images, labels = idx_fixtures.make_images(40, seed=0)
  images = images.astype(np.float32) / 255
  labels = labels.astype(np.int32)
  model_dir = str(tmp_path / "model")

  def estimator(dtype):
    return tf_estimator.Estimator(model_fn.model_fn, model_dir=model_dir,
                                  config=tf_estimator.RunConfig(tf_random_seed=1),
                                  params={**TINY, "dtype": dtype})

  def input_fn(shuffle, num_epochs):
    return tf_estimator.inputs.numpy_input_fn({model_fn.FEATURE_KEY: images}, labels, batch_size=20,
                                              num_epochs=num_epochs, shuffle=shuffle)

  def probabilities(dtype):
    predictions = estimator(dtype).predict(
        tf_estimator.inputs.numpy_input_fn({model_fn.FEATURE_KEY: images}, shuffle=False))
    return np.stack([p["probabilities"] for p in predictions])

  estimator("bfloat16").train(input_fn(True, None), steps=3)
  checkpoint = v1.train.latest_checkpoint(model_dir)
  reader = v1.train.NewCheckpointReader(checkpoint)
  dtypes = reader.get_variable_to_dtype_map()
  assert dtypes.pop("global_step") == tf.int64 and set(dtypes.values()) == {tf.float32}
  metrics = estimator("float32").evaluate(input_fn(False, 1))
  assert metrics["global_step"] == 3 and np.isfinite(metrics["loss"])
  np.testing.assert_allclose(probabilities("float32"), probabilities("bfloat16"), atol=0.03)
