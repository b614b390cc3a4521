"""The networks' bfloat16 training: a stateless dropout mask (tf.layers' dropout in float32), and
each conv block's bias and ReLU after its pool."""

import numpy as np

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import networks

v1 = tf.compat.v1
RATE = 0.4


def _dropout_graph(dtype, seed=1):
  """(graph, dropout output, global step) of ones of `dtype` through networks' dropout."""
  graph = tf.Graph()
  with graph.as_default():
    v1.set_random_seed(seed)
    step = v1.train.get_or_create_global_step()
    output = networks._dropout(tf.ones([200, 500], dtype), RATE, True, "dropout")  # pylint: disable=protected-access
  return graph, output, step


def _masks(dtype, steps, seed=1):
  """The dropout output at each global step of `steps`, twice each."""
  graph, output, step = _dropout_graph(dtype, seed)
  with v1.Session(graph=graph) as session:
    session.run(v1.global_variables_initializer())
    masks = []
    for value in steps:
      step.load(value, session)
      masks.append((session.run(output).astype(np.float32), session.run(output).astype(np.float32)))
  return masks


def test_bfloat16_dropout_keeps_one_minus_rate_and_scales_what_it_keeps():
  (first, again), = _masks(tf.bfloat16, [0])
  kept = first[first != 0]
  assert abs(kept.size / first.size - (1 - RATE)) < 0.01  # 100,000 units.
  assert set(np.unique(kept)) == {np.float32(tf.constant(1 / (1 - RATE), tf.bfloat16).numpy())}
  np.testing.assert_array_equal(first, again)  # One mask a step, whatever runs it.


def test_bfloat16_masks_follow_the_step_and_the_seed():
  (step0, _), (step1, _), (step0_again, _) = _masks(tf.bfloat16, [0, 1, 0])
  np.testing.assert_array_equal(step0, step0_again)
  assert (step0 != step1).mean() > 0.3
  (other_seed, _), = _masks(tf.bfloat16, [0], seed=2)
  assert (step0 != other_seed).mean() > 0.3


def test_float32_keeps_tf_layers_dropout():
  graph, _, _ = _dropout_graph(tf.float32)
  op_types = {op.type for op in graph.get_operations()}
  assert "RandomUniform" in op_types and "StatelessRandomUniformV2" not in op_types


def test_bfloat16_training_adds_bias_and_relu_after_the_pool_computing_the_same():
  graph = tf.Graph()
  with graph.as_default(), v1.variable_scope("", reuse=v1.AUTO_REUSE):
    images = tf.constant(np.random.RandomState(0).normal(size=(4, 28, 28, 1)), tf.bfloat16)
    trained = networks._conv_pool(images, 8, 1, training=True)  # pylint: disable=protected-access
    evaluated = networks._conv_pool(images, 8, 1, training=False)  # pylint: disable=protected-access
    variables = v1.global_variables()
    bias, = [v for v in variables if v.op.name == "conv1/bias"]
    randomize_bias = bias.assign(tf.constant(np.linspace(-1, 1, 8), tf.bfloat16))
    init = v1.global_variables_initializer()
  assert sorted(v.op.name for v in variables) == ["conv1/bias", "conv1/kernel"]
  # Training adds the bias to the pooled values, evaluation to the convolution's.
  assert sorted(op.outputs[0].shape.as_list() for op in graph.get_operations()
                if op.type == "BiasAdd") == [[4, 14, 14, 8], [4, 28, 28, 8]]
  with v1.Session(graph=graph) as session:
    session.run(init)
    session.run(randomize_bias)
    pooled_first, pooled_last = session.run([trained, evaluated])
  assert (pooled_first > 0).mean() > 0.2 and (pooled_first == 0).mean() > 0.1  # ReLU at work.
  # The same values, but for bf16 rounding: oneDNN adds the fused bias before rounding the sum.
  np.testing.assert_allclose(pooled_first.astype(np.float32), pooled_last.astype(np.float32),
                             rtol=2**-6, atol=0.05)
