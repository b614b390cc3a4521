"""The machine, probed once per benchmark: its CPU, native bf16, FLOPs per example, matmul peaks.

Runs in a worker of the current stack; it imports the Estimator's modules, so
the Keras 3 worker must not import this one.
"""

import os
import platform
import time

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import model_fn
from estimator_cnn.model import precision

MATMUL_MIN_SECS = 2.0


def count_flops(params=None):
  """{"forward", "backward", "training"}: float_ops per training example of the TRAIN graph."""
  v1 = tf.compat.v1
  graph = tf.Graph()
  with graph.as_default():
    v1.train.get_or_create_global_step()
    images = v1.placeholder(tf.float32, [1, 28, 28])
    labels = v1.placeholder(tf.int32, [1])
    model_fn.model_fn({model_fn.FEATURE_KEY: images}, labels, tf_estimator.ModeKeys.TRAIN,
                      params or {})

  def float_ops(**node_names):
    options = (v1.profiler.ProfileOptionBuilder(v1.profiler.ProfileOptionBuilder.float_operation())
               .with_node_names(**node_names).with_empty_output().build())
    return int(v1.profiler.profile(graph, cmd="scope", options=options).total_float_ops)

  forward = float_ops(hide_name_regexes=[".*/Initializer/.*", "gradients/.*"])
  backward = float_ops(show_name_regexes=["gradients/.*"])
  return {"forward": forward, "backward": backward, "training": forward + backward}


def matmul_gflops(dtype, size, min_secs=MATMUL_MIN_SECS):
  """GFLOP/s of size x size tf.matmul in eager mode, timed for at least min_secs."""
  a = tf.cast(tf.random.uniform((size, size)), dtype)
  b = tf.cast(tf.random.uniform((size, size)), dtype)
  tf.matmul(a, b).numpy()
  iterations, start = 0, time.perf_counter()
  while iterations < 3 or time.perf_counter() - start < min_secs:
    product = tf.matmul(a, b)
    iterations += 1
  product.numpy()
  return 2 * size**3 * iterations / (time.perf_counter() - start) / 1e9


def probe(spec):
  """The machine: CPU, native bf16, FLOPs per example and the matmul peaks."""
  size = spec["matmul_size"]
  return {"cpu": cpu_model(), "cores": os.cpu_count(),
          "bf16_native": precision.bfloat16_supported(), "flops_per_example": count_flops(),
          "matmul_gflops": {systems.FLOAT32: matmul_gflops(systems.FLOAT32, size),
                            systems.BFLOAT16: matmul_gflops(systems.BFLOAT16, size)}}


def cpu_model():
  """The CPU's model name."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.partition(":")[2].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()
