"""The machine, probed once per benchmark: its CPU, native bf16, FLOPs per example, matmul peaks.

Runs in a worker of the current stack; it imports the Estimator's modules, so
the Keras 3 worker must not import this one.
"""

import os
import time

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base import cpu
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import model_fn
from estimator_cnn.model import presets

MATMUL_WARMUP_CALLS = 3
MATMUL_TIMED_CALLS = 10
# Two FMA pipes per core: every x86 server core since Haswell and Zen 2 (not read from the CPU).
FMA_UNITS_PER_CORE = 2


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


def matmul_gflops(dtype, size, warmup_calls=MATMUL_WARMUP_CALLS, timed_calls=MATMUL_TIMED_CALLS):
  """GFLOP/s of size x size tf.matmul in eager mode: the best of timed_calls after warm-up."""
  a = tf.cast(tf.random.uniform((size, size)), dtype)
  b = tf.cast(tf.random.uniform((size, size)), dtype)
  for _ in range(warmup_calls):
    tf.matmul(a, b)[0, 0].numpy()
  best = float("inf")
  for _ in range(timed_calls):
    start = time.perf_counter()
    tf.matmul(a, b)[0, 0].numpy()  # Reading one element waits for the product.
    best = min(best, time.perf_counter() - start)
  return 2 * size**3 / best / 1e9


def theoretical_gflops(cores, mhz, cpu_flags, fma_units=FMA_UNITS_PER_CORE):
  """Float32 GFLOP/s the vector units allow: cores x clock x FMA units x SIMD lanes x 2.

  The lanes follow the widest instruction set the CPU reports (AVX-512: 16,
  AVX: 8, SSE: 4); without FMA a lane does one operation a cycle, not two.
  None when the clock is unknown.
  """
  if not mhz:
    return None
  lanes = 16 if "avx512f" in cpu_flags else 8 if "avx" in cpu_flags else 4
  per_lane = 2 if "fma" in cpu_flags else 1
  return cores * mhz / 1e3 * fma_units * lanes * per_lane


def probe(spec):
  """The machine: CPU, native bf16, FLOPs per example (of the blog's network, and of each tuned
  recipe's: --recipe may change the network), theoretical and measured matmul peaks."""
  size, (model, mhz) = spec["matmul_size"], cpu.cpu_model_and_mhz()
  cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
  return {"cpu": model, "cores": cores, "mhz": mhz,
          "bf16_native": cpu.bfloat16_supported(), "flops_per_example": count_flops(),
          "recipe_training_flops": {
              name: count_flops(presets.run_params(name, presets.FLOAT32))["training"]
              for name in presets.TUNED_RECIPES},
          "theoretical_gflops": theoretical_gflops(cores, mhz, cpu.cpu_flags() or ()),
          "matmul_gflops": {presets.FLOAT32: matmul_gflops(presets.FLOAT32, size),
                            presets.BFLOAT16: matmul_gflops(presets.BFLOAT16, size)}}
