"""The Estimator systems' measurements, in a worker process of the system's stack.

It imports the Estimator's modules (they set up tf-keras), so the Keras 3
worker must not import this one.
"""

import importlib.metadata
import tempfile
import time

from estimator_cnn.base import cpu
from estimator_cnn.base import tf_setup
from estimator_cnn.data import read_ahead
from estimator_cnn.experiments.benchmark import measures
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import precision
from estimator_cnn.model import presets
from estimator_cnn.training import build


def _setup(spec, model_dir):
  """(estimator, dataset, batch_size, what ran) of an Estimator system, set up as run.py would."""
  system = systems.SYSTEMS[spec["system"]]
  params = presets.run_params(system.recipe, system.dtype)
  if system.dtype == presets.BFLOAT16 and spec["emulated_bf16"]:
    precision.allow_emulation()
  asked = params.get("dtype")
  dtype = systems.dtype_label(asked, precision.compute_dtype(asked).name, cpu.bfloat16_supported())
  # A recipe's system trains with its recipe's batch, not --batch_size.
  batch_size = presets.batch_size(None if system.recipe else spec["batch_size"], system.recipe)
  estimator = build.make_estimator(model_dir, params, seed=spec["seed"])
  info = {"tensorflow": tf_setup.TF_VERSION, "batch_size": batch_size,
          "runtime": f"tf.estimator {importlib.metadata.version('tensorflow-estimator')}",
          "dtype": dtype}
  return estimator, read_ahead.load(spec["data_dir"]), batch_size, info


class BatchTimer(tf_setup.tf.compat.v1.train.SessionRunHook):
  """Records perf_counter after each run; it fetches nothing."""

  def __init__(self):
    self.times = []

  def after_run(self, run_context, run_values):
    self.times.append(time.perf_counter())


def throughput(spec):
  """Training and evaluation examples/s of an Estimator system."""
  with tempfile.TemporaryDirectory() as model_dir:
    estimator, dataset, batch_size, info = _setup(spec, model_dir)
    train_timer, eval_timer = BatchTimer(), BatchTimer()
    estimator.train(build.train_input_fn(dataset.train_images, dataset.train_labels, batch_size),
                    hooks=[train_timer], steps=spec["warmup_steps"] + spec["steps"])
    estimator.evaluate(build.eval_input_fn(dataset.test_images, dataset.test_labels),
                       hooks=[eval_timer])
  return measures.throughput_result(info, train_timer.times, eval_timer.times,
                                    spec["warmup_steps"], presets.EVAL_BATCH_SIZE)


def eval_every(system, spec):
  """Steps between the evaluations of time to accuracy: the recipe's cadence, else spec's."""
  recipe = presets.TUNED_RECIPES.get(system.recipe, {})
  return recipe.get("eval_every", spec["eval_every"])


def time_to_accuracy(spec):
  """Trains, evaluating every eval_every steps, until the target accuracy or max_steps."""
  every = eval_every(systems.SYSTEMS[spec["system"]], spec)
  with tempfile.TemporaryDirectory() as model_dir:
    estimator, dataset, batch_size, info = _setup(spec, model_dir)
    input_fn = build.train_input_fn(dataset.train_images, dataset.train_labels, batch_size)
    curve, reached, train_secs, eval_secs = [], None, 0.0, 0.0
    for step in range(every, spec["max_steps"] + every, every):
      step = min(step, spec["max_steps"])
      start = time.time()
      estimator.train(input_fn, max_steps=step)
      middle = time.time()
      accuracy = float(estimator.evaluate(
          build.eval_input_fn(dataset.test_images, dataset.test_labels))["accuracy"])
      end = time.time()
      train_secs, eval_secs = train_secs + middle - start, eval_secs + end - middle
      curve.append([step, accuracy])
      if accuracy >= spec["target"]:
        reached = {"step": step, "time": end}
        break
  return measures.time_to_accuracy_result(info, reached, curve, train_secs, eval_secs)
