"""The networks' dropout: tf.layers' in float32, a stateless mask in bfloat16 training."""

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
