"""Trains and tests each picked preset that has no result yet, then writes the table."""

import os
import time

from estimator_cnn.base import durations
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.data import idx_csv
from estimator_cnn.data import splits
from estimator_cnn.experiments import runs
from estimator_cnn.experiments.presets_table import plan as plan_lib
from estimator_cnn.experiments.presets_table import report
from estimator_cnn.legacy import compat as legacy_compat
from estimator_cnn.model import model_fn
from estimator_cnn.model import presets
from estimator_cnn.training import best as best_lib
from estimator_cnn.training import build
from estimator_cnn.training import saved_params
from estimator_cnn.training.progress import ProgressHook

CHUNK_STEPS = 1000  # Steps between saves of the wall time, for recipes that don't validate.


class _StopAfterSeconds(tf.compat.v1.train.SessionRunHook):
  """Stops training once `seconds` have passed since the session was created."""

  def __init__(self, seconds):
    self._seconds = seconds
    self._deadline = None

  def after_create_session(self, session, coord):
    del session, coord
    self._deadline = time.monotonic() + self._seconds

  def after_run(self, run_context, run_values):
    del run_values
    if time.monotonic() > self._deadline:
      run_context.request_stop()


def _validate(estimator, plan, training_data):
  metrics = estimator.evaluate(build.eval_input_fn(training_data.validation_images,
                                                   training_data.validation_labels),
                               name="validation")
  if plan.preset.recipe.keep_best:
    best_lib.keep_if_best(plan.model_dir, estimator.latest_checkpoint(), metrics)
  return {"step": int(metrics["global_step"]), "accuracy": float(metrics["accuracy"]),
          "loss": float(metrics["loss"])}


def _test(estimator, plan, dataset):
  """Test metrics of the best checkpoint if the recipe keeps one, else of the latest."""
  best = best_lib.load_best(plan.model_dir) if plan.preset.recipe.keep_best else None
  checkpoint = os.path.join(best_lib.best_dir(plan.model_dir), best["checkpoint"]) if best else None
  return estimator.evaluate(build.eval_input_fn(dataset.test_images, dataset.test_labels),
                            checkpoint_path=checkpoint), best


def train_preset(plan, dataset, training_data, label, options):
  """Trains the plan's preset (resuming), tests it, and saves and returns its record.

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
  params = plan.preset.params
  saved_params.save_params(plan.model_dir, params)
  estimator = build.make_estimator(plan.model_dir, params, plan.seed, options.log_every)
  step = build.global_step(estimator)
  cap = f", at most {plan.max_minutes:g} minutes" if plan.max_minutes else ""
  say(f"{'resuming at step ' + str(step) if step else 'training'} to step {plan.steps:,} of the "
      f"recipe's {plan.recipe_steps:,}{cap}, batch {plan.batch_size}, on "
      f"{len(training_data.train_labels):,} images, in {plan.model_dir}")
  input_fn = build.train_input_fn(training_data.train_images, training_data.train_labels,
                                  plan.batch_size)
  hooks = [ProgressHook(plan.batch_size, plan.steps, options.log_every, printer=say)]
  eta = runs.Eta(plan.steps - step)
  for target in runs.chunk_ends(plan.steps, plan.validate_every or CHUNK_STEPS):
    if target <= step or progress["stopped_by_time"]:
      continue
    seconds_left = plan.max_minutes * 60 - progress["wall_seconds"] if plan.max_minutes else None
    if seconds_left is not None and seconds_left <= 0:
      progress["stopped_by_time"] = True
      continue
    started, start_step = time.monotonic(), step
    stop = [_StopAfterSeconds(seconds_left)] if seconds_left is not None else []
    estimator.train(input_fn, hooks=hooks + stop, max_steps=target)
    step = build.global_step(estimator)
    progress["stopped_by_time"] = step < target
    line = f"step {step:,}/{plan.steps:,}"
    if training_data.validation_labels is not None:
      point = _validate(estimator, plan, training_data)
      progress["validation"].append(point)
      line += f"  validation accuracy {point['accuracy']:.4f}"
    seconds = time.monotonic() - started
    progress["wall_seconds"] += seconds
    runs.save_progress(plan.model_dir, progress)
    eta.record(step - start_step, seconds)
    time_left = eta.seconds_left() or 0.0
    if seconds_left is not None:
      time_left = min(time_left, max(0.0, seconds_left - seconds))
    say(f"{line}  {durations.format_duration(progress['wall_seconds'])} so far  "
        f"ETA {durations.format_duration(0 if progress['stopped_by_time'] else time_left)}")
  if progress["stopped_by_time"]:
    say(f"stopped at step {step:,}: the {plan.max_minutes:g}-minute cap")
  test, best = _test(estimator, plan, dataset)
  trainable, total = model_fn.parameter_counts(params)
  record = {
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
      "run_py_command": plan_lib.run_py_command(plan, step, options.data_dir),
  }
  runs.save_result(plan.model_dir, record)
  say(f"test accuracy {record['accuracy']:.4f} (published {record['published_accuracy']}) after "
      f"{step:,} steps in {durations.format_duration(record['wall_seconds'])}")
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
    records[name] = train_preset(plans[name], dataset, training_data[name], label, options)
    report.write_reports(output_dir, records, context)
    done = to_train.index(name) + 1
    if done < len(to_train):
      per_preset = (time.monotonic() - started) / done
      print(f"{done}/{len(to_train)} presets trained; ETA about "
            f"{durations.format_duration(per_preset * (len(to_train) - done))} at this pace",
            flush=True)
  report.write_reports(output_dir, records, context)
  print(f"table: {os.path.join(output_dir, 'results.md')}")
