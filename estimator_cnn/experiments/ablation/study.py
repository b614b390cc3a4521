"""An ablation study's runs: each rung x seed trained in its own model_dir, with its curve.

Every rung x seed trains with run.py's Estimator, model_fn and input_fn in its
own model_dir, OUTPUT_DIR/runs/<rung name>-seed<N>-<key>, and is evaluated on
the test set every eval_every steps. <key> hashes the run's config, eval_every,
the data and the stack (TensorFlow and tf.estimator versions), so a finished
run (its result.json) is reused only for the same config; a changed rung trains
afresh beside the old run, which is kept. An interrupted run resumes from its
checkpoint, keeping its curve (experiments.runs); a signal or a divergence ends
the study in one line, after writing the reports of the runs that finished
(experiments.chunked).
"""

import glob
import os
import time
import typing

from estimator_cnn.base import files
from estimator_cnn.data import idx_csv
from estimator_cnn.experiments import chunked
from estimator_cnn.experiments import runs
from estimator_cnn.experiments.ablation import ladder as ladder_lib
from estimator_cnn.experiments.ablation import report
from estimator_cnn.legacy import compat as legacy_compat
from estimator_cnn.model import presets
from estimator_cnn.training import build
from estimator_cnn.training import loop
from estimator_cnn.training import metrics_record

RESULTS_ROOT = "results"


class Run(typing.NamedTuple):
  """One rung trained with one seed in its own model_dir."""
  rung: ladder_lib.Rung
  seed: int
  spec: dict  # What the cache is keyed on: config, eval_every, data, stack (, train_accuracy).
  model_dir: str


def plan_run(output_dir, rung, seed, eval_every, fingerprint, train_accuracy=False):
  """The run of rung x seed, in a model_dir named after its name, seed and spec."""
  spec = {"config": rung.config, "eval_every": eval_every, "data": fingerprint,
          "stack": legacy_compat.stack_description()}
  if train_accuracy:
    spec["train_accuracy"] = True
  model_dir = runs.run_dir(output_dir, f"{ladder_lib.slug(rung.name)}-seed{seed}", spec)
  return Run(rung, seed, spec, model_dir)


def load_result(run):
  """The finished run's record, or None."""
  record = runs.load_result(run.model_dir)
  return None if record is None else {**record, "rung": run.rung.number}


def _steps_done(run):
  """Steps of run already evaluated by an earlier, interrupted session."""
  progress = runs.load_progress(run.model_dir)
  return max([point["step"] for point in progress["curve"]], default=0) if progress else 0


def _describe_change(old_spec, new_spec):
  changes = [f"{key} {report.flag_value(old_spec['config'].get(key))} -> "
             f"{report.flag_value(value)}"
             for key, value in new_spec["config"].items() if old_spec["config"].get(key) != value]
  if old_spec["eval_every"] != new_spec["eval_every"]:
    changes.append(f"eval_every {old_spec['eval_every']} -> {new_spec['eval_every']}")
  if old_spec["data"] != new_spec["data"]:
    changes.append("other data")
  if old_spec.get("stack") != new_spec["stack"]:
    changes.append(f"{old_spec.get('stack', 'an earlier stack')} -> {new_spec['stack']}")
  return ", ".join(changes) or "same spec"


def _earlier_run_notice(run):
  """Says which earlier run of this rung and seed had another config, if any."""
  prefix = os.path.basename(run.model_dir).rsplit("-", 1)[0]
  earlier = [path for path in glob.glob(os.path.join(
      os.path.dirname(run.model_dir), f"{glob.escape(prefix)}-*", runs.PROGRESS_FILE))
             if os.path.dirname(path) != run.model_dir]
  if not earlier:
    return None
  latest = os.path.dirname(max(earlier, key=os.path.getmtime))
  old_spec = runs.load_progress(latest)["spec"]
  return (f"config changed since {latest} ({_describe_change(old_spec, run.spec)})"
          f": training afresh, the earlier run is kept")


def _evaluate(estimator, test, train=None):
  """A curve point: test accuracy and loss, and the training images' too if train is given.

  Both are measured the same way: Estimator.evaluate, the EVAL graph (no dropout).
  """
  point = metrics_record.from_metrics(estimator.evaluate(build.eval_input_fn(*test)))
  if train is not None:
    metrics = estimator.evaluate(build.eval_input_fn(*train), name="train")
    point.update(train_accuracy=float(metrics["accuracy"]), train_loss=float(metrics["loss"]))
  return point


def train_run(run, dataset, label, eta):
  """Trains run to its steps, evaluating every eval_every steps; saves and returns its record.

  Raises chunked.Stopped on a signal or a divergence, its curve so far saved.
  """
  config, eval_every = run.spec["config"], run.spec["eval_every"]
  params = {key: config[key] for key in presets.DEFAULT_PARAMS}
  progress = runs.load_progress(run.model_dir)
  if progress is None:
    notice = _earlier_run_notice(run)
    if notice:
      print(f"{label}: {notice}", flush=True)
    progress = {"rung_name": run.rung.name, "seed": run.seed, "spec": run.spec, "curve": [],
                "wall_seconds": 0.0}
  os.makedirs(run.model_dir, exist_ok=True)
  estimator = build.make_estimator(run.model_dir, params, run.seed, log_every=eval_every)
  step = build.global_step(estimator)
  progress["curve"] = [point for point in progress["curve"] if point["step"] <= step]
  evaluated = {point["step"] for point in progress["curve"]}
  start = f"resuming at step {step}" if step else f"training {config['steps']} steps"
  print(f"{label}: {start} in {run.model_dir}", flush=True)
  train = (dataset.train_images[:config["train_subset"]],
           dataset.train_labels[:config["train_subset"]])
  test = (dataset.test_images, dataset.test_labels)
  measured_train = train if run.spec.get("train_accuracy") else None
  started, trained_from = time.perf_counter(), step

  def evaluate(at_step):
    """Adds the curve point of at_step, the chunk's time, and says so."""
    nonlocal started, trained_from
    point = _evaluate(estimator, test, measured_train)
    seconds = time.perf_counter() - started
    eta.record(at_step - trained_from, seconds)
    progress["curve"].append(point)
    progress["wall_seconds"] += seconds
    runs.save_progress(run.model_dir, progress)
    train_text = (f"train accuracy {point['train_accuracy']:.4f}  " if measured_train else "")
    print(f"{label}: step {at_step}/{config['steps']}  {train_text}test accuracy "
          f"{point['accuracy']:.4f}  loss {point['loss']:.4f}  {eta.steps_per_second():.2f} "
          f"steps/s  {eta.text()}", flush=True)
    started, trained_from = time.perf_counter(), at_step

  if step in loop.chunk_ends(config["steps"], eval_every) and step not in evaluated:
    evaluate(step)  # An earlier session trained this chunk but stopped before measuring it.
  chunked.train(estimator, build.train_input_fn(*train, config["batch_size"]), params,
                config["steps"], eval_every, evaluate)
  final = progress["curve"][-1]
  record = {
      "rung": run.rung.number, "name": run.rung.name, "seed": run.seed, "config": config,
      "eval_every": eval_every, "accuracy": final["accuracy"], "loss": final["loss"],
      "global_step": final["step"], "wall_seconds": round(progress["wall_seconds"], 2),
      "curve": progress["curve"], "stack": legacy_compat.stack_description(),
      "data_fingerprint": run.spec["data"], "model_dir": run.model_dir,
  }
  if measured_train:
    record["train_accuracy"] = final["train_accuracy"]
  runs.save_result(run.model_dir, record)
  print(f"{label}: test accuracy {record['accuracy']:.4f} after {record['global_step']} steps "
        f"({files.format_duration(record['wall_seconds'])})", flush=True)
  return record


def run_study(options):
  """Trains the rungs x seeds options pick that have no result yet, then writes the reports.

  Args:
    options: a ladder.StudyOptions.
  """
  ladder = ladder_lib.load_ladder(options.ladder, options.study)
  if options.batch_size is not None:
    ladder = ladder._replace(rungs=tuple(
        rung._replace(config={**rung.config, "batch_size": options.batch_size})
        for rung in ladder.rungs))
  picked = ladder_lib.select_rungs(ladder, options.rungs)
  output_dir = options.output_dir or os.path.join(RESULTS_ROOT, ladder.name)
  runs.check_output_dir(output_dir)
  dataset = idx_csv.load_fashion_mnist(options.data_dir)
  fingerprint = runs.data_fingerprint(dataset)
  seeds = list(range(1, (options.seeds or ladder.seeds) + 1))
  eval_every = options.eval_every or ladder.eval_every
  plan = [plan_run(output_dir, rung, seed, eval_every, fingerprint, ladder.train_accuracy)
          for seed in seeds for rung in picked]
  done_earlier = {run.model_dir: load_result(run) for run in plan}
  to_train = [run for run in plan if done_earlier[run.model_dir] is None]
  eta = runs.Eta(sum(run.rung.config["steps"] - _steps_done(run) for run in to_train))
  print(f"{ladder.name}: {len(picked)} rung(s) x {len(seeds)} seed(s) in {output_dir}, "
        f"{len(plan) - len(to_train)} done earlier ({legacy_compat.stack_description()})",
        flush=True)
  os.makedirs(output_dir, exist_ok=True)
  context = {"seeds": seeds, "eval_every": eval_every, "data": dataset.source,
             "data_dir": options.data_dir, "test_images": len(dataset.test_labels)}

  def finished_records():
    every_run = (plan_run(output_dir, rung, seed, eval_every, fingerprint, ladder.train_accuracy)
                 for rung in ladder.rungs for seed in seeds)
    return [record for record in map(load_result, every_run) if record is not None]

  for index, run in enumerate(plan, start=1):
    label = f"run {index}/{len(plan)}: rung {run.rung.number} ({run.rung.name}) seed {run.seed}"
    record = done_earlier[run.model_dir]
    if record:
      print(f"{label}: done earlier, test accuracy {record['accuracy']:.4f}; skipped", flush=True)
    else:
      try:
        train_run(run, dataset, label, eta)
      except chunked.Stopped as stopped:
        finished = finished_records()
        if finished:
          report.write_reports(output_dir, ladder, finished, context)
        raise chunked.study_error(stopped, label, len(finished),
                                  os.path.join(output_dir, "results.md")) from None
      report.write_reports(output_dir, ladder, finished_records(), context)
  if not to_train:
    report.write_reports(output_dir, ladder, finished_records(), context)
  print(f"trained {len(to_train)} run(s), skipped {len(plan) - len(to_train)} done earlier; "
        f"results: {os.path.join(output_dir, 'results.md')}")
