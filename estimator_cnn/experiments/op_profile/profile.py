"""Where one step's time goes: a step-stats trace of the Estimator's training or evaluation.

The blog's network trains (stage "train") with the real tf.estimator as run.py
trains it (with run.py's params for --recipe and --dtype), or evaluates batches
of the test set (stage "eval", after one training step); after the warm-up,
every other step runs with a full trace (RunOptions FULL_TRACE), the steps
between are timed untraced. Each op's time is kept, and summed into its group
(groups.py); FLOPs come from tf.compat.v1.profiler on the same network at the
same batch size, so each group's achieved GFLOP/s is FLOPs over its op time.
Ops of both cores overlap, so the op times add up to more than a step.

The oneDNN kernels behind the ops come from a second, untraced training in a
child process with oneDNN's verbose log on (kernels.py).
"""

import collections
import tempfile
import time

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base import tf_setup
from estimator_cnn.data import idx_csv
from estimator_cnn.data import input_fn
from estimator_cnn.experiments.op_profile import groups
from estimator_cnn.experiments.op_profile import stages
from estimator_cnn.model import model_fn
from estimator_cnn.model import precision
from estimator_cnn.model import presets
from estimator_cnn.training import build

v1 = tf_setup.tf.compat.v1
MODES = {stages.TRAIN: tf_estimator.ModeKeys.TRAIN, stages.EVAL: tf_estimator.ModeKeys.EVAL}


class TraceHook(v1.train.SessionRunHook):
  """After warmup_steps, traces every other step and times the untraced ones."""

  def __init__(self, warmup_steps):
    self.warmup_steps = warmup_steps
    self.step = 0
    self.op_micros = collections.Counter()  # Summed over the traced steps.
    self.op_types = {}
    self.traced_steps = 0
    self.untraced_secs = []
    self._started = None

  def _traced(self):
    return self.step > self.warmup_steps and self.step % 2 == 0

  def before_run(self, run_context):
    self.step += 1
    self._started = time.perf_counter()
    if self._traced():
      return v1.train.SessionRunArgs(
          None, options=v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE))
    return None

  def after_run(self, run_context, run_values):
    if self.step <= self.warmup_steps:
      return
    if not self._traced():
      self.untraced_secs.append(time.perf_counter() - self._started)
      return
    self.traced_steps += 1
    for device in run_values.run_metadata.step_stats.dev_stats:
      for node in device.node_stats:
        # timeline_label: "conv2/Relu = _MklNativeFusedConv2D(pool1/MaxPool, ...)".
        op_type = node.timeline_label.partition(" = ")[2].partition("(")[0]
        if not op_type:  # The executor's own bookkeeping entries (_SOURCE, ...).
          continue
        self.op_micros[node.node_name] += node.all_end_rel_micros
        self.op_types[node.node_name] = op_type


def graph_flops(params, batch_size, stage=stages.TRAIN):
  """{node name: (op type, float ops)} of the stage's graph at batch_size (tf.compat.v1.profiler)."""
  graph = tf_setup.tf.Graph()
  with graph.as_default():
    v1.train.get_or_create_global_step()
    images = v1.placeholder(tf_setup.tf.float32, [batch_size, 28, 28])
    labels = v1.placeholder(tf_setup.tf.int32, [batch_size])
    model_fn.model_fn({model_fn.FEATURE_KEY: images}, labels, MODES[stage], params)
  options = (v1.profiler.ProfileOptionBuilder(v1.profiler.ProfileOptionBuilder.float_operation())
             .with_empty_output().build())
  flops, pending = {}, [v1.profiler.profile(graph, cmd="scope", options=options)]
  while pending:
    node = pending.pop()
    pending.extend(node.children)
    if node.float_ops:
      flops[node.name] = (graph.get_operation_by_name(node.name).type, node.float_ops)
  return flops


def run_steps(stage, params, batch_size, steps, hooks, data_dir=None):
  """Runs `steps` steps of the stage with the real tf.estimator, the hooks on them: trains the
  blog's network from scratch, or trains it one step and evaluates `steps` batches of the test
  set (in order, from the start again after its last)."""
  dataset = idx_csv.load_fashion_mnist(data_dir)
  train_input = build.train_input_fn(dataset.train_images, dataset.train_labels, batch_size)
  with tempfile.TemporaryDirectory() as model_dir:
    estimator = build.make_estimator(model_dir, params, seed=1)
    if stage == stages.TRAIN:
      estimator.train(train_input, hooks=hooks, steps=steps)
      return
    estimator.train(train_input, steps=1)
    estimator.evaluate(input_fn.numpy_input_fn({model_fn.FEATURE_KEY: dataset.test_images},
                                               dataset.test_labels, batch_size=batch_size,
                                               num_epochs=None), hooks=hooks, steps=steps)


def profile(batch_size, warmup_steps, traced_steps, data_dir=None, params=None,
            stage=stages.TRAIN):
  """Profiles steps of the stage on the blog's network (params: run.py's by default); returns
  the figures per op and per group."""
  params = params or presets.run_params()
  hook = TraceHook(warmup_steps)
  run_steps(stage, params, batch_size, warmup_steps + 2 * traced_steps, [hook], data_dir)
  flops = groups.ran_flops(graph_flops(params, batch_size, stage), hook.op_types)
  ops = {name: {"type": hook.op_types[name], "ms": total / hook.traced_steps / 1e3}
         for name, total in hook.op_micros.items()}
  op_ms = dict.fromkeys(groups.GROUPS, 0.0)
  for name, op in ops.items():
    op_ms[groups.group_of(name, op["type"])] += op["ms"]
  step_secs = sorted(hook.untraced_secs)[len(hook.untraced_secs) // 2]
  return {"tensorflow": tf_setup.TF_VERSION, "stage": stage, "batch_size": batch_size,
          "dtype": precision.compute_dtype(params.get("dtype")).name,
          "traced_steps": hook.traced_steps, "step_ms": step_secs * 1e3,
          "examples_per_sec": batch_size / step_secs,
          "groups": {group: {"op_ms": op_ms[group], "gflop": flops[group] / 1e9}
                     for group in groups.GROUPS},
          "ops": ops}
