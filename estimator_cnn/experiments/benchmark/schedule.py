"""Runs the measurements A B A B in fresh worker processes, and sums their results up."""

import json
import statistics
import subprocess
import time

from estimator_cnn.base import stacks
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import presets

WORKER_MODULE = "estimator_cnn.experiments.benchmark"
WORKER_TIMEOUT_SECS = 3600
MEMORY_SAMPLE_SECS = 0.05


def schedule(names, rounds):
  """[(round, system), ...]: every system once per round, in the same order each round."""
  return [(round_index, name) for round_index in range(rounds) for name in names]


def anonymous_mb(pid):
  """The process's anonymous resident memory (RssAnon) in MB; None where /proc has none."""
  try:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
      for line in status:
        if line.startswith("RssAnon:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return None


def run_sampling_memory(command):
  """(exit code, stdout, stderr, peak anonymous MB or None) of command, its memory read every
  MEMORY_SAMPLE_SECS from outside; raises subprocess.TimeoutExpired after WORKER_TIMEOUT_SECS."""
  process = subprocess.Popen(command, cwd=stacks.REPO_ROOT, env=stacks.subprocess_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  deadline, peak = time.monotonic() + WORKER_TIMEOUT_SECS, None
  while True:
    sample = anonymous_mb(process.pid)
    if sample is not None:
      peak = max(peak or 0.0, sample)
    try:
      stdout, stderr = process.communicate(timeout=MEMORY_SAMPLE_SECS)
      return process.returncode, stdout, stderr, peak
    except subprocess.TimeoutExpired:
      if time.monotonic() > deadline:
        process.kill()
        process.communicate()
        raise


def run_in_subprocess(python, spec):
  """Runs `spec` in a fresh `python -m estimator_cnn.experiments.benchmark --worker`; returns
  (result or None, launch time, error text or None). The result gains the worker's peak
  anonymous memory, its RSS without the pages mapped from files (TensorFlow's libraries), unless
  it gives its own: a program system's worker gives the program's, its child's."""
  command = [python, "-m", WORKER_MODULE, f"--worker={json.dumps(spec)}"]
  # Keras 3 must not see TF_USE_LEGACY_KERAS; stacks.subprocess_env removes it.
  launched = time.time()
  try:
    returncode, stdout, stderr, peak_anonymous = run_sampling_memory(command)
  except subprocess.TimeoutExpired:
    return None, launched, f"timed out after {WORKER_TIMEOUT_SECS} s"
  lines = stdout.strip().splitlines()
  if returncode != 0 or not lines:
    error_lines = stderr.strip().splitlines() or ["(no output)"]
    return None, launched, f"exit code {returncode}: {error_lines[-1]}"
  return {"peak_anonymous_mb": peak_anonymous, **json.loads(lines[-1])}, launched, None


class Workers:
  """Runs the tasks of one benchmark, each on its system's stack's Python."""

  def __init__(self, names, settings, data_dir):
    needed = dict.fromkeys([stack for name in names for stack in (
        systems.SYSTEMS[name].stack, systems.SYSTEMS[name].worker_stack)] + [stacks.CURRENT])
    self.pythons = {stack: stacks.python_of(stack) for stack in needed}
    self.settings, self.data_dir = settings, data_dir

  def spec(self, task, name=None, machine=None, seed=1):
    """The JSON-able task of a worker: what to measure and how, with which random seed; the
    Python of the system's stack (a program system's worker starts its program on it)."""
    settings = self.settings
    return {"task": task, "system": name, "seed": seed, "steps": settings["steps"],
            "warmup_steps": settings["warmup_steps"], "batch_size": settings["batch_size"],
            "target": settings["target"], "eval_every": settings["eval_every"],
            "max_steps": settings["tta_max_steps"], "emulated_bf16": settings["emulated_bf16"],
            "data_dir": self.data_dir, "matmul_size": settings["matmul_size"],
            "bf16_native": bool(machine and machine["bf16_native"]),
            "stack_python": self.pythons[systems.SYSTEMS[name].stack] if name else None}

  def run(self, task, name=None, machine=None, seed=1):
    """run_in_subprocess of the task on the system's worker stack, the current one without one."""
    stack = systems.SYSTEMS[name].worker_stack if name else stacks.CURRENT
    return run_in_subprocess(self.pythons[stack], self.spec(task, name, machine, seed))


def _median(values):
  values = [v for v in values if v is not None]
  return statistics.median(values) if values else None


def _max(values):
  values = [v for v in values if v is not None]
  return max(values) if values else None


def summarize_throughput(samples):
  """One system's throughput summary from its measurements' results (compile seconds: None
  but for a compiled system)."""
  return {"train_examples_per_sec": _median(s["train_examples_per_sec"] for s in samples),
          "train_samples": [s["train_examples_per_sec"] for s in samples],
          "eval_examples_per_sec": _median(s["eval_examples_per_sec"] for s in samples),
          "train_compile_secs": _median(s.get("train_compile_secs") for s in samples),
          "eval_compile_secs": _median(s.get("eval_compile_secs") for s in samples),
          "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
          "peak_anonymous_mb": _max(s.get("peak_anonymous_mb") for s in samples)}


def summarize_program(samples):
  """A program system's summary from its measurements' results: its final test accuracy and its
  start-up seconds beside its baselines' (program_worker), medians over the measurements."""
  startups = {key: [sample["startup_secs"][key] for sample in samples]
              for key in samples[0]["startup_secs"]}
  return {"accuracy": _median(sample["accuracy"] for sample in samples),
          "accuracy_samples": [sample["accuracy"] for sample in samples],
          "steps_trained": samples[-1]["steps_trained"],
          "startup_secs": {key: _median(values) for key, values in startups.items()},
          "startup_samples": startups}


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


def peak_gflops(machine, dtype):
  """The peak of a dtype that shares are taken of: the larger of the best measured matmul and
  the vector units' theoretical peak (native bf16 dot products do twice float32's work).

  A measured matmul above the theoretical peak means the cores run above the clock
  the CPU reports (boost); taking the larger keeps every share at most 100%.
  """
  theoretical = machine.get("theoretical_gflops") or 0.0
  if dtype == presets.BFLOAT16:
    theoretical *= 2 if machine["bf16_native"] else 1
  return max(machine["matmul_gflops"][dtype], theoretical)


def training_flops(machine, recipe):
  """FLOPs per training example of the network a system trains: its tuned recipe's, else the
  blog's."""
  return machine["recipe_training_flops"].get(recipe, machine["flops_per_example"]["training"])


def share_of_peak(examples_per_sec, training_flops, peak_gflops):
  """The fraction of the peak a system's training FLOP/s reach."""
  if not examples_per_sec or not peak_gflops:
    return None
  return examples_per_sec * training_flops / (peak_gflops * 1e9)
