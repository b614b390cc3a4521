"""The op profile: its groups, the FLOPs of the ops that ran, a tiny profile end to end, and the
two stacks side by side."""

import json
import subprocess
import sys

import pytest

from estimator_cnn.base import stacks
from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments.benchmark import machine
from estimator_cnn.experiments.op_profile import groups
from estimator_cnn.experiments.op_profile import onednn_log
from estimator_cnn.experiments.op_profile import profile
from estimator_cnn.experiments.op_profile import report
from estimator_cnn.experiments.op_profile import stack_compare
from estimator_cnn.experiments.op_profile import stages
from estimator_cnn.model import presets
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
    ("Cast_8", "Cast", groups.CASTS),
    ("gradients/Cast_8_grad/Cast", "Cast", groups.CASTS),
    ("dropout_pool2/stateless_random_uniform/StatelessRandomUniformV2",
     "StatelessRandomUniformV2", groups.DROPOUT),
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


# Two lines of a bfloat16 training step's log on an Intel Xeon with AMX (2026-12-02), and one
# that does not run a primitive.
VERBOSE_LINES = [
    "onednn_verbose,v1,info,cpu,runtime:threadpool,nthr:2",
    "onednn_verbose,v1,1796230089414.083008,primitive,exec,cpu,convolution,"
    "brgconv_bwd_w:avx10_1_512_amx,backward_weights,src:bf16::blocked:acdb::f0 "
    "wei:bf16:a:blocked:ABcd16b16a2b::f0 bia:undef::undef::: dst:bf16::blocked:acdb::f0,,"
    "alg:convolution_direct,mb100_ic64oc128_ih7oh7kh5sh1dh0ph2_iw7ow7kw5sw1dw0pw2,3.5",
    "onednn_verbose,v1,1796230089415.5,primitive,exec,cpu,inner_product,x64:gemm:jit,"
    "forward_training,src:bf16::blocked:ab::f0 wei:bf16::blocked:ba::f0 "
    "bia:bf16:a:blocked:a::f0 dst:bf16::blocked:ab::f0,attr-scratchpad:user,,"
    "mb100ic1152oc1024,0.5",
]


# oneDNN 3.2's line (TF 2.15): no version, no "primitive".
VERBOSE_LINE_ONEDNN_3_2 = (
    "onednn_verbose,1796233813894.843018,exec,cpu,convolution,jit:avx512_core,forward_training,"
    "src_f32::blocked:acdb::f0 wei_f32:ap:blocked:Acdb16a::f0 bia_undef::undef::: "
    "dst_f32::blocked:acdb::f0,attr-scratchpad:user ,alg:convolution_direct,"
    "mb1_ic3oc4_ih8oh8kh3sh1dh0ph1_iw8ow8kw3sw1dw0pw1,0.128906")


def test_the_onednn_log_names_each_kernel_and_its_isa():
  run = onednn_log.parse_line(VERBOSE_LINES[1])
  assert (run.timestamp_ms, run.primitive, run.propagation, run.ms) == (
      1796230089414.083008, "convolution", "backward_weights", 3.5)
  old = onednn_log.parse_line(VERBOSE_LINE_ONEDNN_3_2)
  assert (old.timestamp_ms, old.primitive, old.kernel, old.propagation, old.shape, old.ms) == (
      1796233813894.843018, "convolution", "jit:avx512_core", "forward_training",
      "mb1_ic3oc4_ih8oh8kh3sh1dh0ph1_iw8ow8kw3sw1dw0pw1", 0.128906)
  assert onednn_log.parse_line(VERBOSE_LINES[0]) is None
  assert onednn_log.parse_line("2026-12-02 some other output") is None
  assert [onednn_log.isa_of(kernel) for kernel in (
      "brgconv_bwd_w:avx10_1_512_amx", "jit:avx512_core_bf16", "brg_conv_fwd:avx512_core",
      "x64:gemm:jit", "ref:any")] == ["AMX", "AVX512_BF16", "AVX-512", "GEMM, no AMX",
                                      "reference C++"]


def test_kernels_per_step_count_the_timed_steps_only():
  lines = VERBOSE_LINES + [VERBOSE_LINES[1].replace("1796230089414.083008", "1796230089500")]
  rows = onednn_log.kernels_per_step(lines, since_ms=1796230089415, steps=2)
  assert [(row["primitive"], row["isa"], row["runs_per_step"], row["ms_per_step"])
          for row in rows] == [("convolution", "AMX", 0.5, 1.75), ("inner_product",
                                                                   "GEMM, no AMX", 0.5, 0.25)]


def _tiny_profile(tmp_path, stage, traced_steps):
  """report.run of the stage at batch 10 on 100 training and 20 test images, into tmp_path/out."""
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=100, num_test=20)
  return report.run(stage, presets.run_params(), batch_size=10, warmup_steps=2,
                    traced_steps=traced_steps, kernel_steps=2, data_dir=str(data_dir),
                    output_dir=str(tmp_path / "out"))


def test_a_tiny_profile_end_to_end(tmp_path):
  result = _tiny_profile(tmp_path, stages.TRAIN, traced_steps=2)
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
  kernels = result["kernels"]
  assert {row["primitive"] for row in kernels} >= {"convolution", "pooling"}
  # Each conv layer's forward pass runs once a step.
  assert sum(row["runs_per_step"] for row in kernels
             if (row["primitive"], row["pass"]) == ("convolution", "forward_training")) == 3
  # Header rule, groups, all ops; then the kernels' header rule and rows.
  assert table.count("\n| ") == len(groups.GROUPS) + 2 + 1 + len(kernels)
  # The step and its kernels come from two runs: the ratio can fall below 1 on a busy machine.
  kernel_ms = sum(row["ms_per_step"] for row in kernels)
  assert result["step_over_kernels"] == pytest.approx(result["step_ms"] / kernel_ms)
  assert f"The untraced step over its oneDNN kernels: {result['step_over_kernels']:.2f}x" in table
  assert sum(op["ms"] for op in result["ops"].values()) == pytest.approx(
      sum(row["op_ms"] for row in rows.values()))


def test_a_tiny_profile_of_evaluation_batches(tmp_path):
  result = _tiny_profile(tmp_path, stages.EVAL, traced_steps=3)
  rows = result["groups"]
  assert (result["stage"], result["traced_steps"]) == (stages.EVAL, 3)
  for group in (groups.CONV_FORWARD, groups.POOLING, groups.DENSE):
    assert rows[group]["op_ms"] > 0, group
  for group in (groups.CONV_BACKWARD_INPUT, groups.CONV_BACKWARD_FILTER, groups.OPTIMIZER):
    assert rows[group] == {"op_ms": 0, "gflop": 0}, group
  # 20 test images in batches of 10: the third batch is the first again.
  assert sum(row["runs_per_step"] for row in result["kernels"]
             if (row["primitive"], row["pass"]) == ("convolution", "forward_training")) == 3
  assert "an untraced run of the eval stage, 2 steps" in report.markdown_table(result)


def _result(step_ms, ops, kernels=None):
  """A profile's result as the comparison reads it: ops {name: (type, ms)}, kernel rows
  (primitive, shape, kernel, ms)."""
  return {"tensorflow": f"2.{int(step_ms)}", "stage": stages.EVAL, "dtype": "float32",
          "batch_size": 500, "step_ms": step_ms,
          "ops": {name: {"type": op_type, "ms": ms} for name, (op_type, ms) in ops.items()},
          "kernels": [{"primitive": primitive, "pass": "forward_training", "shape": shape,
                       "kernel": kernel, "ms_per_step": ms}
                      for primitive, shape, kernel, ms in kernels or []]}


THIS = _result(21.0, {"conv1/Relu": ("_MklNativeFusedConv2D", 6.1), "pool1/MaxPool": ("MaxPool", 2.8),
                      "Cast": ("Cast", 0.4), "new/Op": ("Mul", 0.6)},
               [("convolution", "mb500_ic1", "brg_conv_fwd:avx512_core", 5.6),
                ("pooling", "mb500ic32", "jit:avx512_core", 2.0),
                ("reorder", "32x1x5x5", "jit:uni", 0.1), ("reorder", "32x1x5x5", "simple:any", 0.5)])
OTHER = _result(20.0, {"conv1/Relu": ("_MklNativeFusedConv2D", 4.2),
                       "pool1/MaxPool": ("MaxPool", 2.5), "Cast": ("Cast", 0.3)},
                [("convolution", "mb500_ic1", "jit:avx512_core", 4.2),
                 ("pooling", "mb500ic32", "jit:avx512_core", 1.9)])


def test_the_stacks_side_by_side_name_each_gap_over_half_a_millisecond():
  assert stack_compare.op_gaps(THIS, OTHER) == [
      ("conv1/Relu", "_MklNativeFusedConv2D", "_MklNativeFusedConv2D", 6.1, 4.2),
      ("new/Op", "Mul", "-", 0.6, 0.0)]
  # A primitive is its kind, pass and shape: the two reorder kernels of one shape add up.
  assert stack_compare.kernel_gaps(THIS, OTHER) == [
      ("convolution", "forward_training", "mb500_ic1", "brg_conv_fwd:avx512_core",
       "jit:avx512_core", 5.6, 4.2),
      ("reorder", "forward_training", "32x1x5x5", "jit:uni, simple:any", "-", 0.6, 0.0)]
  table = stack_compare.markdown_table(THIS, OTHER)
  assert table.startswith("TF 2.21 against TF 2.20, eval, float32, batch 500: a step takes "
                          "21.00 against 20.00 ms untraced (1.050x)")
  assert "(the others: +0.40 ms in all)" in table
  assert "| conv1/Relu | _MklNativeFusedConv2D | _MklNativeFusedConv2D | 6.10 | 4.20 | +1.90 |" in (
      table)
  assert table.count("\n| ") == 1 + 2 + 1 + 2  # Each table's header; two ops, two primitives.


def test_a_failed_profile_on_the_other_stack_is_one_line(tmp_path):
  missing = tmp_path / "no_data"
  with pytest.raises(UserError, match=r"^the profile on the current stack failed \(exit code 1\): "
                                      rf"[Ee]rror: data folder {missing} does not exist"):
    stack_compare.profile_on(stacks.CURRENT, stacks.python_of(stacks.CURRENT),
                             [f"--data_dir={missing}"], str(tmp_path / "out"))
  assert not (tmp_path / "out").exists()


def test_a_missing_stack_to_compare_with_fails_before_the_profile(tmp_path, monkeypatch):
  monkeypatch.setenv(stacks.ENV_VARS[stacks.LEGACY], str(tmp_path / "no_python"))
  with pytest.raises(stacks.StackNotFound, match=r"is not an executable Python"):
    report.run(stages.EVAL, presets.run_params(), batch_size=10, warmup_steps=2, traced_steps=2,
               kernel_steps=0, data_dir=str(tmp_path / "no_data"), output_dir=str(tmp_path / "out"),
               compare_stack=stacks.LEGACY)
  assert not (tmp_path / "out").exists()


def test_compare_stack_runs_the_same_profile_there_and_writes_both(tmp_path):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=100, num_test=20)
  out = tmp_path / "out"
  child = subprocess.run(
      [sys.executable, "-m", "estimator_cnn.experiments.op_profile", "--stage=eval",
       "--batch_size=10", "--warmup_steps=2", "--traced_steps=2", "--kernel_steps=0",
       f"--data_dir={data_dir}", "--compare_stack=current", f"--output_dir={out}"],
      env=stacks.subprocess_env(), capture_output=True, text=True, check=False)
  assert child.returncode == 0, child.stderr[-2000:]
  with open(out / "stack_compare.json") as f:
    compared = json.load(f)
  with open(out / stacks.CURRENT / report.JSON_FILE) as f:
    assert compared["other"] == json.load(f)
  assert (compared["this"]["stage"], compared["other"]["batch_size"]) == (stages.EVAL, 10)
  assert (out / "stack_compare.md").read_text() == stack_compare.markdown_table(
      compared["this"], compared["other"])
