"""The program systems' measurements: a TF 1.x Estimator program, started as its user starts it.

The program is the blog's CNN as a 2018 program wrote it (PROGRAM: tf.layers, Adam,
numpy_input_fn). This worker runs on the current stack without TensorFlow and
starts it on its system's stack: `python -m estimator_cnn.legacy [--bf16] PROGRAM`
on TF 2.21 and 2.15, plain `python PROGRAM` on TF 1.15 (it has no runner). Each
measurement is:
  - start-up: the seconds from just before the program's process starts to its first
    statement (the clock it prints), beside the same for ONE_IMPORT (not on TF 1.15)
    and IMPORT_TENSORFLOW on the same stack, each a fresh process;
  - training examples/s: the program trains warm-up + timed steps + 1, tf.estimator
    logging global_step/sec every gcd(warm-up, timed) steps from step 1; the lines
    after the warm-up's cover the timed steps, whose total time they give;
  - its final test accuracy, peak RSS and anonymous memory (the program's process).
"""

import json
import math
import os
import re
import subprocess
import tempfile
import time

from estimator_cnn.base import stacks
from estimator_cnn.data import idx_csv
from estimator_cnn.experiments.benchmark import measures
from estimator_cnn.experiments.benchmark import schedule
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import presets

PROGRAM = os.path.join(stacks.REPO_ROOT, "tests", "fixtures", "tf1_programs", "blog_cnn_tf1.py")
RUNNER = ["-m", "estimator_cnn.legacy"]
_NOW = "import time; print(repr(time.time()), flush=True)"
# The start-up baselines: each prints the clock at its first statement after its imports.
ONE_IMPORT = f"from estimator_cnn import estimator\nimport tensorflow as tf\n{_NOW}"
IMPORT_TENSORFLOW = f"import tensorflow\n{_NOW}\nprint(tensorflow.__version__)"
_STEPS_PER_SECOND = re.compile(r"global_step/sec: ([0-9.e+-]+)")


def through_runner(system):
  """Whether the program starts through the runner: on every stack but TF 1.15's, where it runs
  as in 2018 (and estimator_cnn does not install)."""
  return system.stack != stacks.TF1


def _failure(what, returncode, stderr):
  lines = stderr.strip().splitlines() or ["(no output)"]
  return RuntimeError(f"{what} failed (exit code {returncode}): {lines[-1]}")


def seconds_to_first_statement(python, code):
  """(seconds from just before `python -c code` starts to the clock its first line prints, the
  lines after it)."""
  started = time.time()
  result = subprocess.run([python, "-c", code], cwd=stacks.REPO_ROOT, env=stacks.subprocess_env(),
                          capture_output=True, text=True, check=False)
  if result.returncode != 0:
    raise _failure(f"python -c {code!r}", result.returncode, result.stderr)
  first, *rest = result.stdout.splitlines()
  return float(first) - started, rest


def window_steps(warmup_steps, steps):
  """Steps between two global_step/sec lines: the most that divides both the warm-up and the
  timed steps, so that lines end at both."""
  return math.gcd(warmup_steps, steps)


def examples_per_sec(stderr, window, warmup_steps, batch_size):
  """Training examples/s of the timed steps from tf.estimator's global_step/sec lines in stderr:
  one every `window` steps from step 1, each its window's rate; those after the warm-up's."""
  rates = [float(rate) for rate in _STEPS_PER_SECOND.findall(stderr)][warmup_steps // window:]
  if not rates:
    return None
  return len(rates) * batch_size / sum(1 / rate for rate in rates)


def _runner_args(system):
  """The arguments before the program's: the runner's, with --bf16 for a bfloat16 system."""
  if not through_runner(system):
    return []
  return RUNNER + (["--bf16"] if system.dtype == presets.BFLOAT16 else [])


def _command(system, python, spec, model_dir, window):
  """The program's command line: warm-up + timed steps + 1, a global_step/sec line a window."""
  data_dir = idx_csv.find_data_dir(spec["data_dir"])
  steps = spec["warmup_steps"] + spec["steps"] + 1
  return [python, *_runner_args(system), PROGRAM, f"--data_dir={data_dir}",
          f"--model_dir={model_dir}", f"--steps={steps}", f"--seed={spec['seed']}",
          f"--batch_size={spec['batch_size']}", f"--log_step_count_steps={window}"]


def _dtype(system, bf16_native):
  """What the program computes in: the runner's --bf16 trains in float32 without native bf16."""
  computed = presets.BFLOAT16 if system.dtype == presets.BFLOAT16 and bf16_native else (
      presets.FLOAT32)
  return systems.dtype_label(system.dtype, computed, bf16_native)


def throughput(spec):
  """Start-up, training examples/s and final test accuracy of a program system."""
  system, python = systems.SYSTEMS[spec["system"]], spec["stack_python"]
  seconds, (version,) = seconds_to_first_statement(python, IMPORT_TENSORFLOW)
  startup = {"import_tensorflow": seconds}
  if through_runner(system):
    startup["one_import"] = seconds_to_first_statement(python, ONE_IMPORT)[0]
  window = window_steps(spec["warmup_steps"], spec["steps"])
  with tempfile.TemporaryDirectory() as model_dir:
    command = _command(system, python, spec, model_dir, window)
    launched = time.time()
    returncode, stdout, stderr, peak_anonymous = schedule.run_sampling_memory(command)
  if returncode != 0:
    raise _failure("the program", returncode, stderr)
  final = json.loads(stdout.strip().splitlines()[-1])
  runtime = " ".join(["python", *_runner_args(system)])
  return {"tensorflow": version, "runtime": runtime, "batch_size": spec["batch_size"],
          "dtype": _dtype(system, spec["bf16_native"]),
          "train_examples_per_sec": examples_per_sec(stderr, window, spec["warmup_steps"],
                                                     spec["batch_size"]),
          "eval_examples_per_sec": None, "accuracy": final["accuracy"],
          "steps_trained": final["global_step"],
          "startup_secs": {"program": final["started"] - launched, **startup},
          "peak_rss_mb": measures.peak_rss_mb(children=True),
          "peak_anonymous_mb": peak_anonymous}
