"""ESTIMATOR_CNN_BF16=1 (the runner's --bf16): every session of a program gets TensorFlow's oneDNN
bfloat16 rewrite on top of its own config, where the CPU computes bfloat16 natively; elsewhere
one line, and float32."""

import subprocess
import sys

import pytest

from estimator_cnn.base import cpu
from estimator_cnn.base import stacks as stacks_lib
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import bfloat16_sessions
from tests import stacks

v1 = tf.compat.v1
ON = 1  # RewriterConfig.ON

# A TF 1.x program with the one import: a plain Session and the Estimator's sessions, each
# printing whether its config has the rewrite, and the count of bfloat16 nodes a step ran.
PROGRAM = '''
import numpy as np
from estimator_cnn import estimator as tf_estimator
import tensorflow as tf
v1 = tf.compat.v1

def model_fn(features, labels, mode):
  net = v1.layers.conv2d(features["x"], 4, 3, activation=tf.nn.relu)
  logits = v1.layers.dense(v1.layers.flatten(net), 2)
  loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
  train_op = v1.train.AdamOptimizer().minimize(loss, v1.train.get_global_step())
  return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

class Report(v1.train.SessionRunHook):
  def after_create_session(self, session, coord):
    rewrite = session._config.graph_options.rewrite_options
    print("estimator session", rewrite.auto_mixed_precision_onednn_bfloat16,
          session._config.intra_op_parallelism_threads)

features = {"x": np.zeros([8, 8, 8, 1], np.float32)}
input_fn = v1.estimator.inputs.numpy_input_fn(features, np.zeros(8, np.int64), batch_size=8,
                                              num_epochs=None, shuffle=False)
config = tf_estimator.RunConfig(session_config=v1.ConfigProto(intra_op_parallelism_threads=1))
tf_estimator.Estimator(model_fn, config=config).train(input_fn, hooks=[Report()], steps=1)

with tf.Graph().as_default():
  x = v1.placeholder(tf.float32, [8, 8, 8, 1])
  loss = tf.reduce_mean(v1.layers.conv2d(x, 4, 3))
  step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
  with v1.Session() as session:
    session.run(v1.global_variables_initializer())
    metadata = v1.RunMetadata()
    session.run(step, {x: features["x"]}, run_metadata=metadata,
                options=v1.RunOptions(output_partition_graphs=True))
    bf16 = sum(any(value.type == tf.bfloat16.as_datatype_enum for value in node.attr.values())
               for graph in metadata.partition_graphs for node in graph.node)
    print("plain session", session._config.graph_options.rewrite_options
          .auto_mixed_precision_onednn_bfloat16, "bfloat16 nodes", bf16)
'''


def test_the_rewrite_is_set_on_top_of_the_programs_own_config():
  own = v1.ConfigProto(intra_op_parallelism_threads=3)
  own.graph_options.rewrite_options.constant_folding = 2  # OFF
  merged = bfloat16_sessions.with_bfloat16_rewrite(own)
  assert merged.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 == ON
  assert merged.intra_op_parallelism_threads == 3
  assert merged.graph_options.rewrite_options.constant_folding == 2
  assert own.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 == 0
  assert (bfloat16_sessions.with_bfloat16_rewrite(None).graph_options.rewrite_options
          .auto_mixed_precision_onednn_bfloat16 == ON)


def test_without_native_bfloat16_one_line_and_sessions_stay_float32(monkeypatch, capsys):
  from tensorflow.python.client import session  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
  before = session.BaseSession.__init__
  assert bfloat16_sessions.install() is False
  assert capsys.readouterr().err.splitlines() == [bfloat16_sessions._NOT_NATIVE]  # pylint: disable=protected-access
  assert session.BaseSession.__init__ is before


def _run_program(tmp_path, bf16):
  """Runs PROGRAM on this stack's Python with ESTIMATOR_CNN_BF16 set to 1 or 0."""
  script = tmp_path / "program.py"
  script.write_text(PROGRAM)
  command = [sys.executable, str(script)]
  result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          timeout=stacks.DEFAULT_TIMEOUT_SECS, check=False,
                          env=stacks_lib.subprocess_env({"ESTIMATOR_CNN_BF16": "1" if bf16 else "0"}))
  assert result.returncode == 0, stacks.describe(command, result.returncode, result.stdout,
                                                 result.stderr)
  return result


@pytest.mark.skipif(not cpu.bfloat16_supported(),
                    reason="this CPU has no native bfloat16 (avx512_bf16 or amx_bf16)")
def test_every_session_of_a_program_runs_the_rewrite_on_native_bfloat16(tmp_path):
  result = _run_program(tmp_path, bf16=True)
  lines = result.stdout.splitlines()
  assert "estimator session 1 1" in lines  # On, and the program's own setting kept.
  plain = next(line for line in lines if line.startswith("plain session"))
  assert plain.startswith("plain session 1 bfloat16 nodes ") and int(plain.split()[-1]) > 0
  assert bfloat16_sessions._ON in result.stderr  # pylint: disable=protected-access


def test_without_the_variable_sessions_are_left_as_the_program_made_them(tmp_path):
  lines = _run_program(tmp_path, bf16=False).stdout.splitlines()
  assert "estimator session 0 1" in lines
  assert "plain session 0 bfloat16 nodes 0" in lines


@stacks.made_by_the_current_run
def test_the_runners_bf16_trains_the_blog_network_as_a_tf1_program(fixture_data, tmp_path):
  """tests/fixtures/tf1_programs/blog_cnn_tf1.py, the program the benchmark's runner_tf1_bf16
  measures: one line says whether the rewrite is on (this CPU's answer), and it trains."""
  program = stacks.REPO_ROOT / "tests" / "fixtures" / "tf1_programs" / "blog_cnn_tf1.py"
  result = stacks.run(stacks.CURRENT, ["-m", "estimator_cnn.legacy", "--bf16", program,
                                       f"--data_dir={fixture_data}",
                                       f"--model_dir={tmp_path / 'model'}", "--steps=2"])
  said = [line for line in result.stderr.splitlines() if line.startswith("bfloat16: ")]
  assert said == [bfloat16_sessions._ON if cpu.bfloat16_supported()  # pylint: disable=protected-access
                  else bfloat16_sessions._NOT_NATIVE]  # pylint: disable=protected-access
  assert '"global_step": 2' in result.stdout.splitlines()[-1]
