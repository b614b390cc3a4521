"""Training speed of the blog's network on each system, measured A B A B in fresh processes.

  python -m estimator_cnn.benchmark                                 # everything, 3 rounds
  python -m estimator_cnn.benchmark --systems=ours_fp32,tf_estimator --rounds=2
  python -m estimator_cnn.benchmark --rounds=1 --steps=50 --warmup_steps=10 --tta_rounds=0
  python -m estimator_cnn.benchmark --systems=ours_fp32,ours_fast --tta_systems=ours_fast

Systems (--systems; default all but tf_estimator_bf16):
  ours_fp32          the real tf.estimator on TF 2.21 (current stack, estimator_cnn's
                     compatibility module), float32
  ours_bf16          the same with --dtype=bfloat16 (bf16 compute, float32 variables)
  tf_estimator       the real tf.estimator, TF 2.15 (legacy stack), the same model_fn
  tf_estimator_bf16  the same with --dtype=bfloat16
  keras_fp32         Keras 3 model.fit of the same architecture, TF 2.21, float32
  keras_bf16         the same with the mixed_bfloat16 policy
  ours_fast          ours_fp32 with run.py --recipe=fast (its batch size)
On a CPU without AVX512_BF16 or AMX-BF16 the bf16 systems are reported as
"not supported on this CPU" unless --emulated_bf16 measures them anyway,
labelled "bfloat16 (emulated)". ours_fast then runs in float32, as run.py does.

Each measurement is a fresh process (its stack's Python, see estimator_cnn.stacks);
rounds alternate the systems (A B C A B C ...) so that machine drift cancels.
  - training examples/s: --warmup_steps untimed steps, then --steps timed ones
    (batch --batch_size); median over --rounds.
  - eval examples/s: then one pass over the 10,000 test images (batches of 500),
    timed from the end of the first batch to the end of the last.
  - peak memory: the process's RSS high-water mark (getrusage), max over rounds.
  - time to accuracy: a fresh process trains from scratch, evaluating on the test
    set every --eval_every steps (Estimator: train(max_steps) then evaluate, as
    run.py --mode=train_and_eval; Keras: fit with validation), until the test
    accuracy reaches --target; wall clock from launching the process to the end of
    that evaluation, or "not reached by step --tta_max_steps", with the seconds spent
    training and evaluating. --tta_rounds runs of each of --tta_systems.
  - FLOPs per training example: tf.compat.v1.profiler float_ops of the TRAIN graph
    at batch 1, forward (everything outside gradients/, initializers excluded) and
    backward (gradients/) counted separately.
  - matmul peak: GFLOP/s of 2048x2048 tf.matmul in TF 2.21 eager, float32 and
    bfloat16; each system's share is its training FLOP/s over the peak of its dtype.

Output in --output_dir (default results/benchmark): benchmark.json (everything,
every sample, the order of the measurements) and benchmark.md (a table).
"""

import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import typing

from absl import app
from absl import flags

from estimator_cnn import cli
from estimator_cnn import stacks
from estimator_cnn.errors import UserError

FLOAT32 = "float32"
BFLOAT16 = "bfloat16"
EMULATED = " (emulated)"
FALLBACK = " (bfloat16 asked for: not supported on this CPU)"
NOT_SUPPORTED = "not supported on this CPU (no avx512_bf16/amx)"
OUTPUT_DIR = os.path.join("results", "benchmark")
JSON_FILE = "benchmark.json"
MARKDOWN_FILE = "benchmark.md"
EVAL_BATCH_SIZE = 500
WORKER_TIMEOUT_SECS = 3600
MATMUL_MIN_SECS = 2.0
# The blog's network, for Keras (whose worker can't import estimator_cnn.model:
# that sets up tf-keras for tf.compat.v1.layers).
CONV_FILTERS = (32, 64, 128)
DROPOUTS_AFTER_POOL = (0.0, 0.25, 0.25)
DENSE_UNITS = 1024
DROPOUT_DENSE = 0.4
LEARNING_RATE = 0.001


class System(typing.NamedTuple):
  """What one measured column runs."""
  stack: str
  runner: str  # "estimator" or "keras".
  dtype: typing.Optional[str]  # None: the recipe's.
  recipe: typing.Optional[str]
  label: str


SYSTEMS = {
    "ours_fp32": System(stacks.CURRENT, "estimator", FLOAT32, None,
                        "tf.estimator on TF 2.21, float32"),
    "ours_bf16": System(stacks.CURRENT, "estimator", BFLOAT16, None,
                        "tf.estimator on TF 2.21, --dtype=bfloat16"),
    "tf_estimator": System(stacks.LEGACY, "estimator", FLOAT32, None,
                           "real tf.estimator, TF 2.15, float32"),
    "tf_estimator_bf16": System(stacks.LEGACY, "estimator", BFLOAT16, None,
                                "real tf.estimator, TF 2.15, --dtype=bfloat16"),
    "keras_fp32": System(stacks.CURRENT, "keras", FLOAT32, None,
                         "Keras 3 model.fit, TF 2.21, float32"),
    "keras_bf16": System(stacks.CURRENT, "keras", BFLOAT16, None,
                         "Keras 3 model.fit, TF 2.21, mixed_bfloat16"),
    "ours_fast": System(stacks.CURRENT, "estimator", None, "fast",
                        "tf.estimator on TF 2.21, --recipe=fast"),
}
DEFAULT_SYSTEMS = [name for name in SYSTEMS if name != "tf_estimator_bf16"]


def define_flags(flag_values=flags.FLAGS):
  """The benchmark's flags."""
  flags.DEFINE_list("systems", DEFAULT_SYSTEMS,
                    f"Systems to measure, in this order: {', '.join(SYSTEMS)}.",
                    flag_values=flag_values)
  flags.DEFINE_integer("rounds", 3, "Throughput measurements per system, alternating.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("steps", 300, "Timed training steps per measurement.", lower_bound=2,
                       flag_values=flag_values)
  flags.DEFINE_integer("warmup_steps", 50, "Untimed training steps before them.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("batch_size", 100, "Training batch size (ours_fast: its recipe's).",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("tta_rounds", 1, "Time-to-accuracy runs per system; 0 skips them.",
                       lower_bound=0, flag_values=flag_values)
  flags.DEFINE_list("tta_systems", None,
                    "Systems whose time to accuracy is measured, among --systems. Default: all.",
                    flag_values=flag_values)
  flags.DEFINE_float("target", 0.90, "Test accuracy that time to accuracy waits for.",
                     lower_bound=0.0, upper_bound=1.0, flag_values=flag_values)
  flags.DEFINE_integer("eval_every", 100, "Training steps between test-set evaluations.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("tta_max_steps", 3000,
                       "Time to accuracy gives up after this many steps.", lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_bool("emulated_bf16", False,
                    "Measure the bf16 systems even on a CPU without native bf16 (TensorFlow "
                    "emulates it: slow), labelled emulated.", flag_values=flag_values)
  flags.DEFINE_integer("matmul_size", 2048, "Side of the square matrices of the matmul peak.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_string("data_dir", None, "Fashion-MNIST folder (as run.py's). Default: searched.",
                      flag_values=flag_values)
  flags.DEFINE_string("output_dir", OUTPUT_DIR, "Folder for benchmark.json and benchmark.md.",
                      flag_values=flag_values)
  flags.DEFINE_string("worker", None, "Internal: a JSON task to run in this process.",
                      flag_values=flag_values)


# Measurements, run in the worker process of a system's stack.


def peak_rss_mb():
  """This process's RSS high-water mark in MB."""
  kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def steady_examples_per_sec(batch_end_times, batch_size):
  """Examples/s from the end of the first batch to the end of the last."""
  if len(batch_end_times) < 2:
    return None
  return (len(batch_end_times) - 1) * batch_size / (batch_end_times[-1] - batch_end_times[0])


def count_flops(params=None):
  """{"forward", "backward", "training"}: float_ops per training example of the TRAIN graph."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn import estimator as tf_estimator
  from estimator_cnn import model
  from estimator_cnn.compat import tf
  # pylint: enable=g-import-not-at-top
  v1 = tf.compat.v1
  graph = tf.Graph()
  with graph.as_default():
    v1.train.get_or_create_global_step()
    images = v1.placeholder(tf.float32, [1, 28, 28])
    labels = v1.placeholder(tf.int32, [1])
    model.model_fn({model.FEATURE_KEY: images}, labels, tf_estimator.ModeKeys.TRAIN,
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
  from estimator_cnn.compat import tf  # pylint: disable=g-import-not-at-top
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
  from estimator_cnn import precision  # pylint: disable=g-import-not-at-top
  native = precision.bfloat16_supported()
  return {"cpu": _cpu_model(), "cores": os.cpu_count(), "bf16_native": native,
          "flops_per_example": count_flops(),
          "matmul_gflops": {FLOAT32: matmul_gflops(FLOAT32, spec["matmul_size"]),
                            BFLOAT16: matmul_gflops(BFLOAT16, spec["matmul_size"])}}


def _cpu_model():
  """The CPU's model name."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.partition(":")[2].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def _estimator_setup(spec, model_dir):
  """(estimator, dataset, batch_size, what ran) of an Estimator system, set up as run.py would."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn import compat, config, data, driver, precision
  from flags import core as flags_core
  # pylint: enable=g-import-not-at-top
  system = SYSTEMS[spec["system"]]
  run_py_flags = flags.FlagValues()
  flags_core.define_all(run_py_flags)
  run_py_flags(["run.py", f"--recipe={system.recipe}" if system.recipe
                else f"--batch_size={spec['batch_size']}"]
               + ([f"--dtype={system.dtype}"] if system.dtype else []))
  params = config.model_params(run_py_flags)
  if system.dtype == BFLOAT16 and spec["emulated_bf16"]:
    precision.allow_emulation()
  dtype = precision.compute_dtype(params.get("dtype")).name
  if dtype == BFLOAT16 and not precision.bfloat16_supported():
    dtype += EMULATED
  elif params.get("dtype") == BFLOAT16 and dtype == FLOAT32:
    dtype += FALLBACK
  batch_size = config.batch_size(run_py_flags)
  estimator = driver.make_estimator(model_dir, params, seed=1)
  info = {"tensorflow": compat.TF_VERSION, "batch_size": batch_size,
          "runtime": f"tf.estimator {importlib.metadata.version('tensorflow-estimator')}",
          "dtype": dtype}
  return estimator, data.load_fashion_mnist(spec["data_dir"]), batch_size, info


def _batch_timer(compat):
  """A SessionRunHook that records perf_counter after each run; it fetches nothing."""

  class BatchTimer(compat.tf.compat.v1.train.SessionRunHook):

    def __init__(self):
      self.times = []

    def after_run(self, run_context, run_values):
      self.times.append(time.perf_counter())

  return BatchTimer()


def _estimator_throughput(spec):
  """Training and evaluation examples/s of an Estimator system."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn import compat, driver
  # pylint: enable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as model_dir:
    estimator, dataset, batch_size, info = _estimator_setup(spec, model_dir)
    warmup, steps = spec["warmup_steps"], spec["steps"]
    train_timer = _batch_timer(compat)
    estimator.train(driver.train_input_fn(dataset.train_images, dataset.train_labels, batch_size),
                    hooks=[train_timer], steps=warmup + steps)
    eval_timer = _batch_timer(compat)
    estimator.evaluate(driver.eval_input_fn(dataset.test_images, dataset.test_labels),
                       hooks=[eval_timer])
  return {**info,
          "train_examples_per_sec": steady_examples_per_sec(train_timer.times[warmup - 1:],
                                                            batch_size),
          "eval_examples_per_sec": steady_examples_per_sec(eval_timer.times, EVAL_BATCH_SIZE),
          "peak_rss_mb": peak_rss_mb()}


def _estimator_time_to_accuracy(spec):
  """Trains, evaluating every spec["eval_every"] steps, until the target accuracy or max_steps."""
  from estimator_cnn import driver  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as model_dir:
    estimator, dataset, batch_size, info = _estimator_setup(spec, model_dir)
    input_fn = driver.train_input_fn(dataset.train_images, dataset.train_labels, batch_size)
    curve, reached, train_secs, eval_secs = [], None, 0.0, 0.0
    for step in range(spec["eval_every"], spec["max_steps"] + spec["eval_every"],
                      spec["eval_every"]):
      step = min(step, spec["max_steps"])
      start = time.time()
      estimator.train(input_fn, max_steps=step)
      middle = time.time()
      accuracy = float(estimator.evaluate(
          driver.eval_input_fn(dataset.test_images, dataset.test_labels))["accuracy"])
      end = time.time()
      train_secs, eval_secs = train_secs + middle - start, eval_secs + end - middle
      curve.append([step, accuracy])
      if accuracy >= spec["target"]:
        reached = {"step": step, "time": end}
        break
  return {**info, "reached": reached, "curve": curve, "train_secs": train_secs,
          "eval_secs": eval_secs, "peak_rss_mb": peak_rss_mb()}


def _keras_setup(spec):
  """(keras, compiled model, dataset, training tf.data.Dataset, what ran) of a Keras system."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn import data
  import keras
  import tensorflow as tf
  # pylint: enable=g-import-not-at-top
  system = SYSTEMS[spec["system"]]
  keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if system.dtype == BFLOAT16
                                         else FLOAT32)
  keras.utils.set_random_seed(1)
  layers = [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1))]
  for filters, rate in zip(CONV_FILTERS, DROPOUTS_AFTER_POOL):
    layers += [keras.layers.Conv2D(filters, 5, padding="same", activation="relu"),
               keras.layers.MaxPooling2D(2)]
    if rate:
      layers.append(keras.layers.Dropout(rate))
  layers += [keras.layers.Flatten(), keras.layers.Dense(DENSE_UNITS, activation="relu"),
             keras.layers.Dropout(DROPOUT_DENSE), keras.layers.Dense(10, dtype=FLOAT32)]
  model = keras.Sequential(layers)
  model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
  dataset = data.load_fashion_mnist(spec["data_dir"])
  batches = (tf.data.Dataset.from_tensor_slices((dataset.train_images, dataset.train_labels))
             .shuffle(len(dataset.train_labels), seed=1).repeat().batch(spec["batch_size"])
             .prefetch(tf.data.AUTOTUNE))
  emulated = system.dtype == BFLOAT16 and not spec["bf16_native"]
  info = {"tensorflow": tf.__version__, "runtime": f"keras {keras.__version__}",
          "batch_size": spec["batch_size"],
          "dtype": (system.dtype + (EMULATED if emulated else ""))}
  return keras, model, dataset, batches, info


def _keras_throughput(spec):
  """Training and evaluation examples/s of a Keras system."""
  keras, model, dataset, batches, info = _keras_setup(spec)
  warmup, steps = spec["warmup_steps"], spec["steps"]

  class Timer(keras.callbacks.Callback):

    def __init__(self):
      super().__init__()
      self.train_times, self.test_times = [], []

    def on_train_batch_end(self, batch, logs=None):
      self.train_times.append(time.perf_counter())

    def on_test_batch_end(self, batch, logs=None):
      self.test_times.append(time.perf_counter())

  timer = Timer()
  model.fit(batches, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer], verbose=0)
  model.evaluate(dataset.test_images, dataset.test_labels, batch_size=EVAL_BATCH_SIZE,
                 callbacks=[timer], verbose=0)
  return {**info,
          "train_examples_per_sec": steady_examples_per_sec(timer.train_times[warmup - 1:],
                                                            spec["batch_size"]),
          "eval_examples_per_sec": steady_examples_per_sec(timer.test_times, EVAL_BATCH_SIZE),
          "peak_rss_mb": peak_rss_mb()}


def _keras_time_to_accuracy(spec):
  """Fits, validating on the test set every spec["eval_every"] steps, until the target."""
  keras, model, dataset, batches, info = _keras_setup(spec)
  target, eval_every = spec["target"], spec["eval_every"]

  class StopAtTarget(keras.callbacks.Callback):

    def __init__(self):
      super().__init__()
      self.curve, self.reached, self.eval_secs, self.eval_start = [], None, 0.0, None

    def on_test_begin(self, logs=None):
      self.eval_start = time.time()

    def on_test_end(self, logs=None):
      self.eval_secs += time.time() - self.eval_start

    def on_epoch_end(self, epoch, logs=None):
      accuracy = float(logs["val_accuracy"])
      self.curve.append([(epoch + 1) * eval_every, accuracy])
      if accuracy >= target:
        self.reached = {"step": (epoch + 1) * eval_every, "time": time.time()}
        self.model.stop_training = True

  callback = StopAtTarget()
  start = time.time()
  model.fit(batches, epochs=-(-spec["max_steps"] // eval_every), steps_per_epoch=eval_every,
            validation_data=(dataset.test_images, dataset.test_labels),
            validation_batch_size=EVAL_BATCH_SIZE, callbacks=[callback], verbose=0)
  return {**info, "reached": callback.reached, "curve": callback.curve,
          "train_secs": time.time() - start - callback.eval_secs, "eval_secs": callback.eval_secs,
          "peak_rss_mb": peak_rss_mb()}


WORKER_TASKS = {
    ("estimator", "throughput"): _estimator_throughput,
    ("estimator", "time_to_accuracy"): _estimator_time_to_accuracy,
    ("keras", "throughput"): _keras_throughput,
    ("keras", "time_to_accuracy"): _keras_time_to_accuracy,
}


def run_worker(spec):
  """Runs one task of a JSON spec in this process; returns its JSON-able result."""
  if spec["task"] == "probe":
    return probe(spec)
  return WORKER_TASKS[SYSTEMS[spec["system"]].runner, spec["task"]](spec)


# The parent: schedules workers and reports.


def schedule(systems, rounds):
  """[(round, system), ...]: every system once per round, in the same order each round."""
  return [(round_index, system) for round_index in range(rounds) for system in systems]


def runs_here(system, bf16_native, emulated_bf16):
  """False for a bf16 system on a CPU without native bf16, unless emulation is asked for."""
  return system.dtype != BFLOAT16 or bf16_native or emulated_bf16


def check_systems(names, flag="systems"):
  """The systems' names given to --flag, checked; raises UserError naming the valid ones."""
  unknown = [name for name in names if name not in SYSTEMS]
  if unknown or not names:
    raise UserError(f"--{flag}: unknown system(s) {', '.join(unknown) or '(none given)'}; "
                    f"choose from {', '.join(SYSTEMS)}")
  if len(set(names)) != len(names):
    raise UserError(f"--{flag} names a system twice: {','.join(names)}")
  return list(names)


def run_in_subprocess(python, spec):
  """Runs `spec` in a fresh `python -m estimator_cnn.benchmark --worker`; returns
  (result or None, launch time, error text or None)."""
  command = [python, "-m", "estimator_cnn.benchmark", f"--worker={json.dumps(spec)}"]
  # Keras 3 must not see TF_USE_LEGACY_KERAS; stacks.subprocess_env removes it.
  launched = time.time()
  try:
    result = subprocess.run(command, cwd=stacks.REPO_ROOT, env=stacks.subprocess_env(),
                            capture_output=True, text=True, timeout=WORKER_TIMEOUT_SECS,
                            check=False)
  except subprocess.TimeoutExpired:
    return None, launched, f"timed out after {WORKER_TIMEOUT_SECS} s"
  lines = result.stdout.strip().splitlines()
  if result.returncode != 0 or not lines:
    error_lines = result.stderr.strip().splitlines() or ["(no output)"]
    return None, launched, f"exit code {result.returncode}: {error_lines[-1]}"
  return json.loads(lines[-1]), launched, None


def _run_system(pythons, name, spec):
  """run_in_subprocess on the system's stack's Python."""
  return run_in_subprocess(pythons[SYSTEMS[name].stack], spec)


def _median(values):
  values = [v for v in values if v is not None]
  return statistics.median(values) if values else None


def summarize_throughput(samples):
  """One system's throughput summary from its measurements' results."""
  return {"train_examples_per_sec": _median(s["train_examples_per_sec"] for s in samples),
          "train_samples": [s["train_examples_per_sec"] for s in samples],
          "eval_examples_per_sec": _median(s["eval_examples_per_sec"] for s in samples),
          "peak_rss_mb": max(s["peak_rss_mb"] for s in samples)}


def summarize_time_to_accuracy(runs, target, max_steps):
  """Median seconds (and step) over the runs, if each reached the target; else why not."""
  reached = [run for run in runs if run["seconds"] is not None]
  summary = {"target": target, "max_steps": max_steps, "runs": runs,
             "seconds": None, "step": None}
  if reached and len(reached) == len(runs):
    summary["seconds"] = statistics.median(run["seconds"] for run in runs)
    summary["step"] = statistics.median(run["step"] for run in runs)
    summary["train_secs"] = statistics.median(run["train_secs"] for run in runs)
    summary["eval_secs"] = statistics.median(run["eval_secs"] for run in runs)
    summary["text"] = (f"{summary['seconds']:.1f} s at step {summary['step']:g} (training "
                       f"{summary['train_secs']:.1f} s, evaluating {summary['eval_secs']:.1f} s)")
  else:
    missed = f" in {len(runs) - len(reached)} of {len(runs)} runs" if len(runs) > 1 else ""
    summary["text"] = f"not reached by step {max_steps}{missed}"
  return summary


def share_of_peak(examples_per_sec, training_flops, peak_gflops):
  """The fraction of the matmul peak a system's training FLOP/s reach."""
  if not examples_per_sec or not peak_gflops:
    return None
  return examples_per_sec * training_flops / (peak_gflops * 1e9)


def _number(value, digits=0):
  return "-" if value is None else f"{value:,.{digits}f}"


def markdown_report(results):
  """The results as Markdown: the machine, FLOPs, matmul peaks and one row per system."""
  machine, flops = results["machine"], results["machine"]["flops_per_example"]
  peak = machine["matmul_gflops"]
  settings = results["settings"]
  bf16_peak_note = "" if machine["bf16_native"] else " (emulated: no avx512_bf16/amx)"
  lines = [
      "# Benchmark: the blog's network, training and evaluation speed", "",
      f"Machine: {machine['cpu']}, {machine['cores']} cores; native bf16: "
      f"{'yes' if machine['bf16_native'] else 'no'}. {results['started']}.", "",
      f"FLOPs per training example (tf.compat.v1.profiler, TRAIN graph at batch 1): forward "
      f"{flops['forward'] / 1e6:.1f} M + backward {flops['backward'] / 1e6:.1f} M = "
      f"{flops['training'] / 1e6:.1f} M.", "",
      f"Matmul peak ({settings['matmul_size']}x{settings['matmul_size']}, TF eager): float32 "
      f"{peak[FLOAT32]:.0f} GFLOP/s, bfloat16 {peak[BFLOAT16]:.0f} GFLOP/s{bf16_peak_note}.", "",
      f"Training: batch {settings['batch_size']} (ours_fast: its recipe's), {settings['steps']} "
      f"timed steps after {settings['warmup_steps']}, median of {settings['rounds']} rounds "
      f"run A B A B in fresh processes. Time to {settings['target']:.0%}: wall clock from "
      f"process launch, test set evaluated every {settings['eval_every']} steps "
      f"(median of {settings['tta_rounds']} runs).", "",
      f"| system | what | ran on | dtype | train examples/s | share of matmul peak | "
      f"eval examples/s | peak RSS MB | time to {settings['target']:.0%} |",
      "|---|---|---|---|---:|---:|---:|---:|---|",
  ]
  for name, row in results["systems"].items():
    if row["status"] != "ok":
      lines.append(f"| {name} | {row['label']} | - | {row.get('dtype', '-')} | {row['status']} "
                   "| | | | |")
      continue
    share = row.get("share_of_peak")
    tta = row.get("time_to_accuracy")
    lines.append(
        f"| {name} | {row['label']} | TF {row['tensorflow']}, {row['runtime']}, batch "
        f"{row['batch_size']} | {row['dtype']} | {_number(row['train_examples_per_sec'])} | "
        f"{'-' if share is None else f'{share:.1%}'} | "
        f"{_number(row['eval_examples_per_sec'])} | {_number(row['peak_rss_mb'])} | "
        f"{tta['text'] if tta else '-'} |")
  return "\n".join(lines) + "\n"


def write_results(output_dir, results):
  """Writes benchmark.json and benchmark.md into output_dir; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  json_path = os.path.join(output_dir, JSON_FILE)
  markdown_path = os.path.join(output_dir, MARKDOWN_FILE)
  with open(json_path, "w") as f:
    json.dump(results, f, indent=2)
    f.write("\n")
  with open(markdown_path, "w") as f:
    f.write(markdown_report(results))
  return json_path, markdown_path


def _worker_spec(flag_values, task, system=None, machine=None):
  return {"task": task, "system": system, "steps": flag_values.steps,
          "warmup_steps": flag_values.warmup_steps, "batch_size": flag_values.batch_size,
          "target": flag_values.target, "eval_every": flag_values.eval_every,
          "max_steps": flag_values.tta_max_steps, "emulated_bf16": flag_values.emulated_bf16,
          "data_dir": flag_values.data_dir, "matmul_size": flag_values.matmul_size,
          "bf16_native": bool(machine and machine["bf16_native"])}


def run_benchmark(flag_values):
  """Measures the systems round by round, then time to accuracy; writes the reports."""
  names = check_systems(flag_values.systems)
  tta_names = names
  if flag_values.tta_systems is not None:
    tta_names = check_systems(flag_values.tta_systems, "tta_systems")
  if not set(tta_names) <= set(names):
    raise UserError(f"--tta_systems must be among --systems: "
                    f"{', '.join(sorted(set(tta_names) - set(names)))} is not")
  if os.path.exists(flag_values.output_dir) and not os.path.isdir(flag_values.output_dir):
    raise UserError(f"--output_dir={flag_values.output_dir} is a file, not a folder")
  pythons = {stack: stacks.python_of(stack) for stack in {SYSTEMS[n].stack for n in names}}
  pythons.setdefault(stacks.CURRENT, stacks.python_of(stacks.CURRENT))
  started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
  machine, _, error = run_in_subprocess(pythons[stacks.CURRENT],
                                        _worker_spec(flag_values, "probe"))
  if error:
    raise UserError(f"probing the machine on the current stack failed: {error}")
  flops = machine["flops_per_example"]
  print(f"{machine['cpu']}: native bf16 {'yes' if machine['bf16_native'] else 'no'}; "
        f"FLOPs per training example {flops['training'] / 1e6:.1f} M (forward "
        f"{flops['forward'] / 1e6:.1f} M); matmul peak float32 "
        f"{machine['matmul_gflops'][FLOAT32]:.0f}, bfloat16 "
        f"{machine['matmul_gflops'][BFLOAT16]:.0f} GFLOP/s", flush=True)
  rows, samples, failures = {}, {name: [] for name in names}, []
  for name in names:
    system = SYSTEMS[name]
    rows[name] = {"label": system.label, "stack": system.stack, "status": "ok"}
    if not runs_here(system, machine["bf16_native"], flag_values.emulated_bf16):
      rows[name].update(status=NOT_SUPPORTED, dtype=BFLOAT16)
  measured = [name for name in names if rows[name]["status"] == "ok"]
  order = schedule(measured, flag_values.rounds)
  for round_index, name in order:
    result, _, error = _run_system(pythons, name,
                                   _worker_spec(flag_values, "throughput", name, machine))
    label = f"round {round_index + 1}/{flag_values.rounds} {name:17s}"
    if error:
      failures.append(f"{name} throughput: {error}")
      print(f"{label} failed: {error}", flush=True)
      continue
    samples[name].append(result)
    print(f"{label} {result['train_examples_per_sec']:7.0f} train, "
          f"{result['eval_examples_per_sec']:7.0f} eval examples/s, "
          f"{result['peak_rss_mb']:5.0f} MB  ({result['dtype']})", flush=True)
  for name in measured:
    if not samples[name]:
      rows[name]["status"] = "failed"
      continue
    last = samples[name][-1]
    rows[name].update({key: last[key] for key in ("tensorflow", "runtime", "dtype",
                                                  "batch_size")})
    rows[name].update(summarize_throughput(samples[name]))
    peak = machine["matmul_gflops"][BFLOAT16 if last["dtype"].startswith(BFLOAT16)
                                    else FLOAT32]
    rows[name]["share_of_peak"] = share_of_peak(rows[name]["train_examples_per_sec"],
                                                flops["training"], peak)
  tta_measured = [name for name in measured if name in tta_names]
  tta_runs = {name: [] for name in tta_measured}
  for round_index, name in schedule(tta_measured, flag_values.tta_rounds):
    spec = _worker_spec(flag_values, "time_to_accuracy", name, machine)
    result, launched, error = _run_system(pythons, name, spec)
    label = f"time to {flag_values.target:.0%} {round_index + 1}/{flag_values.tta_rounds} {name:17s}"
    if error:
      failures.append(f"{name} time to accuracy: {error}")
      print(f"{label} failed: {error}", flush=True)
      continue
    reached = result["reached"]
    run = {"seconds": reached["time"] - launched if reached else None,
           "step": reached["step"] if reached else None, "curve": result["curve"],
           "train_secs": result["train_secs"], "eval_secs": result["eval_secs"]}
    tta_runs[name].append(run)
    print(f"{label} " + (f"{run['seconds']:.1f} s at step {run['step']}" if reached else
                         f"not reached by step {flag_values.tta_max_steps}") +
          f"  (training {run['train_secs']:.1f} s, evaluating {run['eval_secs']:.1f} s)",
          flush=True)
  for name, runs in tta_runs.items():
    if runs:
      rows[name]["time_to_accuracy"] = summarize_time_to_accuracy(
          runs, flag_values.target, flag_values.tta_max_steps)
  settings = {key: getattr(flag_values, key) for key in (
      "rounds", "steps", "warmup_steps", "batch_size", "tta_rounds", "target", "eval_every",
      "tta_max_steps", "emulated_bf16", "matmul_size")}
  results = {"started": started, "machine": machine, "settings": settings,
             "order": [[round_index, name] for round_index, name in order],
             "systems": rows, "failures": failures}
  json_path, markdown_path = write_results(flag_values.output_dir, results)
  print(f"\n{markdown_report(results)}\nresults: {json_path}, {markdown_path}")
  if failures:
    raise UserError(f"{len(failures)} measurement(s) failed, first: {failures[0]}")
  return results


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  if flags.FLAGS.worker:
    cli.quiet_tensorflow()
    print(json.dumps(run_worker(json.loads(flags.FLAGS.worker))))
    return 0
  # __name__, not "estimator_cnn.benchmark": under python -m this module is __main__.
  return cli.run_main(flags.FLAGS, "run_benchmark", __name__)


if __name__ == "__main__":
  define_flags()
  app.run(main)
