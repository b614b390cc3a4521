"""Trains and tests each picked preset that has no result yet, then writes the table.

A signal or a divergence ends the table in one line, after writing the table of
the presets that finished (experiments.chunked).
"""

import os
import time

from estimator_cnn.base import files
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.data import idx_csv
from estimator_cnn.data import splits
from estimator_cnn.experiments import chunked
from estimator_cnn.experiments import runs
from estimator_cnn.experiments.presets_table import plan as plan_lib
from estimator_cnn.experiments.presets_table import report
from estimator_cnn.legacy import compat as legacy_compat
from estimator_cnn.model import model_fn
from estimator_cnn.model import presets
from estimator_cnn.training import best as best_lib
from estimator_cnn.training import build
from estimator_cnn.training import metrics_record
from estimator_cnn.training.progress import ProgressHook

CHUNK_STEPS = 1000  # Steps between saves of the wall time, for recipes that don't validate.


class _StopAfterSeconds(tf.compat.v1.train.SessionRunHook):
  """Stops training once `seconds` have passed since its session was created; `seconds` may
  change between sessions, and `fired` says whether it stopped one."""

  def __init__(self, seconds):
    self.seconds = seconds
    self.fired = False
    self._deadline = None

  def after_create_session(self, session, coord):
    del session, coord
    self._deadline = time.monotonic() + self.seconds

  def after_run(self, run_context, run_values):
    del run_values
    if time.monotonic() > self._deadline:
      self.fired = True
      run_context.request_stop()


def _seconds_left(plan, progress):
  """What is left of the plan's time cap, or None without one."""
  return plan.max_minutes * 60 - progress["wall_seconds"] if plan.max_minutes else None


def _validate(estimator, plan, training_data):
  metrics = estimator.evaluate(build.eval_input_fn(training_data.validation_images,
                                                   training_data.validation_labels),
                               name="validation")
  if plan.preset.recipe.keep_best:
    best_lib.keep_if_best(plan.model_dir, estimator.latest_checkpoint(), metrics)
  return metrics_record.from_metrics(metrics)


def _test(estimator, plan, dataset):
  """Test metrics of the best checkpoint if the recipe keeps one, else of the latest."""
  best = best_lib.load_best(plan.model_dir) if plan.preset.recipe.keep_best else None
  checkpoint = os.path.join(best_lib.best_dir(plan.model_dir), best["checkpoint"]) if best else None
  return estimator.evaluate(build.eval_input_fn(dataset.test_images, dataset.test_labels),
                            checkpoint_path=checkpoint), best


def _train(estimator, plan, training_data, progress, say, log_every):
  """Trains from the estimator's global step to plan.steps, or until the time cap, in chunks
  after each of which it validates (if the recipe does) and saves progress; raises
  chunked.Stopped on a signal or a divergence."""
  step = build.global_step(estimator)
  time_cap = _StopAfterSeconds(_seconds_left(plan, progress)) if plan.max_minutes else None
  hooks = [ProgressHook(plan.batch_size, plan.steps, log_every, printer=say),
           *([time_cap] if time_cap else [])]
  eta = runs.Eta(plan.steps - step)
  started, trained_from = time.monotonic(), step

  def after_chunk(at_step):
    """Validates, saves the progress and says so; True once the time cap stops training."""
    nonlocal started, trained_from
    progress["stopped_by_time"] = time_cap.fired and at_step < plan.steps if time_cap else False
    line = f"step {at_step:,}/{plan.steps:,}"
    if training_data.validation_labels is not None:
      point = _validate(estimator, plan, training_data)
      progress["validation"].append(point)
      line += f"  validation accuracy {point['accuracy']:.4f}"
    seconds = time.monotonic() - started
    progress["wall_seconds"] += seconds
    runs.save_progress(plan.model_dir, progress)
    eta.record(at_step - trained_from, seconds)
    time_left = eta.seconds_left() or 0.0
    seconds_left = _seconds_left(plan, progress)
    if seconds_left is not None:
      time_left = min(time_left, max(0.0, seconds_left))
      time_cap.seconds = seconds_left
      if seconds_left <= 0 and at_step < plan.steps:
        progress["stopped_by_time"] = True  # The cap is spent: no next chunk.
    say(f"{line}  {files.format_duration(progress['wall_seconds'])} so far  "
        f"ETA {files.format_duration(0 if progress['stopped_by_time'] else time_left)}")
    started, trained_from = time.monotonic(), at_step
    return progress["stopped_by_time"]

  chunked.train(estimator, build.train_input_fn(training_data.train_images,
                                                training_data.train_labels, plan.batch_size),
                plan.preset.params, plan.steps, plan.validate_every or CHUNK_STEPS, after_chunk,
                hooks)


def _record(plan, progress, step, test, best, data_dir):
  """The preset's result: its recipe, its test metrics, and how it trained here (to step)."""
  params = plan.preset.params
  trainable, total = model_fn.parameter_counts(params)
  return {
      "preset": plan.preset.name, "network": plan.preset.architecture,
      "recipe": plan.preset.recipe.describe(params), "assumptions": plan.preset.assumptions,
      "trainable_parameters": trainable, "total_parameters": total,
      "published_accuracy": plan.preset.published_accuracy,
      "accuracy": float(test["accuracy"]), "loss": float(test["loss"]),
      "tested_step": int(test["global_step"]), "global_step": step,
      "recipe_steps": plan.recipe_steps, "planned_steps": plan.steps,
      "capped_by": ("time" if progress["stopped_by_time"]
                    else "budget_steps" if plan.steps < plan.recipe_steps else None),
      "max_minutes": plan.max_minutes, "best": best, "validation": progress["validation"],
      "wall_seconds": round(progress["wall_seconds"], 1),
      "stack": legacy_compat.stack_description(), "seed": plan.seed, "model_dir": plan.model_dir,
      "run_py_command": plan_lib.run_py_command(plan, step, data_dir),
  }


def train_preset(plan, dataset, training_data, label, options):
  """Trains the plan's preset (resuming), tests it, and saves and returns its record.

  Raises chunked.Stopped on a signal or a divergence, its progress so far saved.

  Args:
    plan: its plan.Plan.
    dataset: the loaded Fashion-MNIST; its test set tests the preset.
    training_data: its recipe's split of the training set (data.splits.TrainingData).
    label: what its progress lines start with.
    options: the plan.TableOptions (log_every, data_dir).
  """
  def say(line):
    print(f"{label}: {line}", flush=True)

  progress = (runs.load_progress(plan.model_dir)
              or {"wall_seconds": 0.0, "validation": [], "stopped_by_time": False})
  os.makedirs(plan.model_dir, exist_ok=True)
  estimator = build.make_estimator(plan.model_dir, plan.preset.params, plan.seed,
                                   options.log_every)
  step = build.global_step(estimator)
  cap = f", at most {plan.max_minutes:g} minutes" if plan.max_minutes else ""
  say(f"{'resuming at step ' + str(step) if step else 'training'} to step {plan.steps:,} of the "
      f"recipe's {plan.recipe_steps:,}{cap}, batch {plan.batch_size}, on "
      f"{len(training_data.train_labels):,} images, in {plan.model_dir}")
  seconds_left = _seconds_left(plan, progress)
  if step < plan.steps and seconds_left is not None and seconds_left <= 0:
    progress["stopped_by_time"] = True  # By an earlier session, whose last chunk ended in time.
  if step < plan.steps and not progress["stopped_by_time"]:
    _train(estimator, plan, training_data, progress, say, options.log_every)
    step = build.global_step(estimator)
  if progress["stopped_by_time"]:
    say(f"stopped at step {step:,}: the {plan.max_minutes:g}-minute cap")
  test, best = _test(estimator, plan, dataset)
  record = _record(plan, progress, step, test, best, options.data_dir)
  runs.save_result(plan.model_dir, record)
  say(f"test accuracy {record['accuracy']:.4f} (published {record['published_accuracy']}) after "
      f"{step:,} steps in {files.format_duration(record['wall_seconds'])}")
  return record


def run_table(options):
  """Trains the picked presets that have no result yet, then writes the table.

  Args:
    options: a plan.TableOptions.
  """
  picked = plan_lib.pick_presets([name.strip() for name in options.presets])
  output_dir = options.output_dir
  runs.check_output_dir(output_dir)
  dataset = idx_csv.load_fashion_mnist(options.data_dir)
  fingerprint = runs.data_fingerprint(dataset)
  training_data = {name: splits.training_data(preset.recipe.split, dataset.train_images,
                                              dataset.train_labels)
                   for name, preset in presets.PRESETS.items()}
  plans = {name: plan_lib.make_plan(preset, len(training_data[name].train_labels), options,
                                    fingerprint) for name, preset in presets.PRESETS.items()}
  records = {name: runs.load_result(plan.model_dir) for name, plan in plans.items()}
  to_train = [name for name in picked if records[name] is None]
  context = {"data": dataset.source, "test_images": len(dataset.test_labels),
             "stack": legacy_compat.stack_description(), "seed": options.seed}
  print(f"presets: {len(picked)} picked, {len(picked) - len(to_train)} done earlier, in "
        f"{output_dir} ({context['stack']})", flush=True)
  os.makedirs(output_dir, exist_ok=True)
  started = time.monotonic()
  for index, name in enumerate(picked, start=1):
    label = f"preset {index}/{len(picked)} {name}"
    if records[name] is not None:
      print(f"{label}: done earlier, test accuracy {records[name]['accuracy']:.4f}; skipped",
            flush=True)
      continue
    try:
      records[name] = train_preset(plans[name], dataset, training_data[name], label, options)
    except chunked.Stopped as stopped:
      finished = sum(record is not None for record in records.values())
      if finished:
        report.write_reports(output_dir, records, context)
      raise chunked.study_error(stopped, label, finished, os.path.join(output_dir, "results.md"),
                                "preset") from None
    report.write_reports(output_dir, records, context)
    done = to_train.index(name) + 1
    if done < len(to_train):
      per_preset = (time.monotonic() - started) / done
      print(f"{done}/{len(to_train)} presets trained; ETA about "
            f"{files.format_duration(per_preset * (len(to_train) - done))} at this pace",
            flush=True)
  report.write_reports(output_dir, records, context)
  print(f"table: {os.path.join(output_dir, 'results.md')}")
