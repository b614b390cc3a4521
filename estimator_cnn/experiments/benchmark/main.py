"""The benchmark's parent process: probes the machine, measures the systems, writes the reports."""

import os
import time

from estimator_cnn.base import stacks
from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments.benchmark import report
from estimator_cnn.experiments.benchmark import schedule
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import presets


def _checked_names(names, tta_names):
  """(systems, time-to-accuracy systems), checked; tta_names None means all the systems that
  have one."""
  names = systems.check_systems(names)
  if tta_names is None:
    return names, [name for name in names if name in systems.TIMED_TO_ACCURACY]
  tta_names = systems.check_systems(tta_names, "tta_systems", systems.TIMED_TO_ACCURACY)
  if not set(tta_names) <= set(names):
    raise UserError(f"--tta_systems must be among --systems: "
                    f"{', '.join(sorted(set(tta_names) - set(names)))} is not")
  return names, tta_names


def _missing_optional_stacks(names):
  """{system: why it is not measured} of the systems whose optional environment is missing."""
  missing = {}
  for name in names:
    stack = systems.SYSTEMS[name].stack
    if stack in systems.OPTIONAL_STACKS:
      try:
        stacks.python_of(stack)
      except stacks.StackNotFound as e:
        missing[name] = f"not measured: {e}"
        print(f"{name} {missing[name]}", flush=True)
  return missing


def _probe(workers):
  """The machine, probed on the current stack; prints what it found."""
  machine, _, error = workers.run("probe")
  if error:
    raise UserError(f"probing the machine on the current stack failed: {error}")
  print("\n".join(report.machine_lines(machine)), flush=True)
  return machine


def _run_or_fail(workers, task, name, machine, label, failures, seed=1):
  """(result, launch time) of the task; a failure's result is None, printed and kept in failures."""
  result, launched, error = workers.run(task, name, machine, seed)
  if error:
    failures.append(f"{name} {task.replace('_', ' ')}: {error}")
    print(f"{label} failed: {error}", flush=True)
  return result, launched


def _anonymous(result):
  anonymous = result.get("peak_anonymous_mb")
  return "" if anonymous is None else f" ({anonymous:.0f} anonymous)"


def _per_sec(value):
  return f"{'-':>7s}" if value is None else f"{value:7.0f}"


def _program(result):
  """A program system's accuracy and start-up seconds beside its baselines'; "" for the others."""
  if "startup_secs" not in result:
    return ""
  startup = ", ".join(f"{key} {secs:.2f}" for key, secs in result["startup_secs"].items())
  return f"; accuracy {result['accuracy']:.4f}; start-up s: {startup}"


def _compiled(result):
  compile_secs = report.compile_secs_text(result)
  return f", compiled in {compile_secs} s" if compile_secs else ""


def _measure_throughput(workers, names, machine, rows, failures):
  """Measures the systems round by round; fills their rows; returns the order they ran in."""
  rounds = workers.settings["rounds"]
  order = schedule.schedule(names, rounds)
  samples = {name: [] for name in names}
  for round_index, name in order:
    label = f"round {round_index + 1}/{rounds} {name:17s}"
    # Each round another seed, as time to accuracy's: a program's accuracy is over seeds 1, 2, ...
    result, _ = _run_or_fail(workers, "throughput", name, machine, label, failures,
                             seed=round_index + 1)
    if result is None:
      continue
    samples[name].append(result)
    print(f"{label} {_per_sec(result['train_examples_per_sec'])} train, "
          f"{_per_sec(result['eval_examples_per_sec'])} eval examples/s, "
          f"{result['peak_rss_mb']:5.0f} MB{_anonymous(result)}  ({result['dtype']}"
          f"{_compiled(result)}){_program(result)}", flush=True)
  for name, results in samples.items():
    if not results:
      rows[name]["status"] = "failed"
      continue
    last = results[-1]
    rows[name].update({key: last[key] for key in ("tensorflow", "runtime", "dtype",
                                                  "batch_size")})
    rows[name].update(schedule.summarize_throughput(results))
    if "startup_secs" in last:
      rows[name].update(schedule.summarize_program(results))
    dtype = presets.BFLOAT16 if last["dtype"].startswith(presets.BFLOAT16) else presets.FLOAT32
    rows[name]["share_of_peak"] = schedule.share_of_peak(
        rows[name]["train_examples_per_sec"],
        schedule.training_flops(machine, systems.SYSTEMS[name].recipe),
        schedule.peak_gflops(machine, dtype))
  return order


def _measure_time_to_accuracy(workers, names, machine, rows, failures):
  """Runs the time-to-accuracy measurements of the systems; adds their summaries to the rows."""
  settings = workers.settings
  target, tta_rounds = settings["target"], settings["tta_rounds"]
  max_steps = settings["tta_max_steps"]
  runs = {name: [] for name in names}
  for round_index, name in schedule.schedule(names, tta_rounds):
    label = f"time to {target:.0%} {round_index + 1}/{tta_rounds} {name:17s}"
    # Each round another seed: the median is over seeds 1..tta_rounds.
    result, launched = _run_or_fail(workers, "time_to_accuracy", name, machine, label, failures,
                                    seed=round_index + 1)
    if result is None:
      continue
    reached = result["reached"]
    run = {"seconds": reached["time"] - launched if reached else None,
           "step": reached["step"] if reached else None, "curve": result["curve"],
           "train_secs": result["train_secs"], "eval_secs": result["eval_secs"]}
    runs[name].append(run)
    print(f"{label} " + (f"{run['seconds']:.1f} s at step {run['step']}" if reached else
                         f"not reached by step {max_steps}") +
          f"  (training {run['train_secs']:.1f} s, evaluating {run['eval_secs']:.1f} s)",
          flush=True)
  for name, system_runs in runs.items():
    if system_runs:
      rows[name]["time_to_accuracy"] = schedule.summarize_time_to_accuracy(
          system_runs, target, max_steps)


def run_benchmark(names, tta_names, settings, data_dir, output_dir):
  """Measures the systems round by round, then time to accuracy; writes the reports.

  Args:
    names: the systems to measure, in order (--systems).
    tta_names: those whose time to accuracy is measured too; None: all of them.
    settings: how to measure: a value for each key of systems.SETTINGS.
    data_dir: the Fashion-MNIST folder, or None to search for it.
    output_dir: the folder of the reports.
  """
  names, tta_names = _checked_names(names, tta_names)
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise UserError(f"--output_dir={output_dir} is a file, not a folder")
  missing = _missing_optional_stacks(names)
  workers = schedule.Workers([name for name in names if name not in missing], settings, data_dir)
  started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
  machine = _probe(workers)
  rows = {}
  for name in names:
    system = systems.SYSTEMS[name]
    rows[name] = {"label": system.label, "stack": system.stack, "status": "ok"}
    if name in missing:
      rows[name]["status"] = missing[name]
    elif not systems.runs_here(system, machine["bf16_native"], settings["emulated_bf16"]):
      rows[name].update(status=systems.NOT_SUPPORTED, dtype=presets.BFLOAT16)
  measured = [name for name in names if rows[name]["status"] == "ok"]
  failures = []
  order = _measure_throughput(workers, measured, machine, rows, failures)
  _measure_time_to_accuracy(workers, [name for name in measured if name in tta_names], machine,
                            rows, failures)
  results = {"started": started, "machine": machine, "settings": settings,
             "order": [[round_index, name] for round_index, name in order],
             "systems": rows, "failures": failures}
  json_path, markdown_path = report.write_results(output_dir, results)
  print(f"\n{report.markdown_report(results)}\nresults: {json_path}, {markdown_path}")
  if failures:
    raise UserError(f"{len(failures)} measurement(s) failed, first: {failures[0]}")
  return results
