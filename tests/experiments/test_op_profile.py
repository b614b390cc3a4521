"""The op profile: its groups, the FLOPs of the ops that ran, and a tiny profile end to end."""

import json

import pytest

from estimator_cnn.experiments.benchmark import machine
from estimator_cnn.experiments.op_profile import groups
from estimator_cnn.experiments.op_profile import profile
from estimator_cnn.experiments.op_profile import report
from tests import idx_fixtures


@pytest.mark.parametrize("name, op_type, group", [
    ("conv2/Relu", "_MklNativeFusedConv2D", groups.CONV_FORWARD),
    ("conv1/Conv2D", "Conv2D", groups.CONV_FORWARD),
    ("gradients/conv2/Conv2D_grad/Conv2DBackpropInput", "_MklNativeConv2DBackpropInput",
     groups.CONV_BACKWARD_INPUT),
    ("gradients/conv2/Relu_grad/ReluGrad", "ReluGrad", groups.CONV_BACKWARD_INPUT),
    ("gradients/conv3/Conv2D_grad/Conv2DBackpropFilter", "Conv2DBackpropFilter",
     groups.CONV_BACKWARD_FILTER),
    ("gradients/conv1/BiasAdd_grad/BiasAddGrad", "BiasAddGrad", groups.CONV_BACKWARD_FILTER),
    ("pool1/MaxPool", "_MklNativeMaxPool", groups.POOLING),
    ("gradients/pool3/MaxPool_grad/MaxPoolGrad", "MaxPoolGrad", groups.POOLING),
    ("dense/Relu", "_MklNativeFusedMatMul", groups.DENSE),
    ("gradients/logits/MatMul_grad/MatMul_1", "_MklMatMul", groups.DENSE),
    ("dropout_pool2/dropout/random_uniform/RandomUniform", "RandomUniform", groups.DROPOUT),
    ("Adam/update_dense/kernel/ResourceApplyAdam", "ResourceApplyAdam", groups.OPTIMIZER),
    ("Adam/mul", "Mul", groups.OPTIMIZER),
    ("IteratorGetNext", "IteratorGetNext", groups.INPUT),
    ("sparse_softmax_cross_entropy_loss/value", "DivNoNan", groups.OTHER),
    ("gradients/AddN", "AddN", groups.OTHER),
])
def test_each_op_falls_in_its_group(name, op_type, group):
  assert groups.group_of(name, op_type) == group


def test_flops_count_the_ops_that_ran_and_those_fused_into_them():
  graph_flops = {"conv1/Conv2D": ("Conv2D", 100), "conv1/BiasAdd": ("BiasAdd", 2),
                 "gradients/conv1/Conv2D_grad/Conv2DBackpropInput": ("Conv2DBackpropInput", 100),
                 "gradients/conv1/Conv2D_grad/Conv2DBackpropFilter": ("Conv2DBackpropFilter", 100),
                 "pool1/MaxPool": ("MaxPool", 1)}
  traced = {"conv1/Relu": "_MklNativeFusedConv2D",
            "gradients/conv1/Conv2D_grad/Conv2DBackpropFilter": "Conv2DBackpropFilter"}
  flops = groups.ran_flops(graph_flops, traced)
  assert (flops[groups.CONV_FORWARD], flops[groups.CONV_BACKWARD_INPUT],
          flops[groups.CONV_BACKWARD_FILTER], flops[groups.POOLING]) == (102, 0, 100, 0)
  assert set(flops) == set(groups.GROUPS)


def test_a_tiny_profile_end_to_end(tmp_path):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=100, num_test=20)
  result = report.run(batch_size=10, warmup_steps=2, traced_steps=2, data_dir=str(data_dir),
                      output_dir=str(tmp_path / "out"))
  rows = result["groups"]
  assert result["traced_steps"] == 2 and result["examples_per_sec"] > 0
  for group in (groups.CONV_FORWARD, groups.CONV_BACKWARD_INPUT, groups.CONV_BACKWARD_FILTER,
                groups.POOLING, groups.DENSE, groups.OPTIMIZER, groups.INPUT):
    assert rows[group]["op_ms"] > 0, group
  # Everything the training graph computes but the gradient of the input images (conv1's).
  flops = machine.count_flops()
  conv1_input_gradient = 28 * 28 * 32 * 5 * 5 * 2
  expected = 10 * (flops["training"] - conv1_input_gradient)
  assert sum(row["gflop"] for row in rows.values()) * 1e9 == pytest.approx(expected, rel=0.01)
  assert rows[groups.CONV_FORWARD]["gflop"] == pytest.approx(
      rows[groups.CONV_BACKWARD_FILTER]["gflop"], rel=0.01)
  with open(tmp_path / "out" / report.JSON_FILE) as f:
    assert json.load(f) == result
  table = (tmp_path / "out" / report.MARKDOWN_FILE).read_text()
  assert table == report.markdown_table(result)
  assert table.count("\n| ") == len(groups.GROUPS) + 2  # Header rule, groups, all ops.
