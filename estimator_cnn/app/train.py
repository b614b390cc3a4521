"""--mode=train (and train_and_eval outside a cluster): the preset's recipe, resumable, tested."""

import contextlib
import os
import shlex
import shutil

from estimator_cnn.app import resolve
from estimator_cnn.app import settings as settings_lib
from estimator_cnn.base import path_checks
from estimator_cnn.base.errors import TrainingInterrupted, UserError
from estimator_cnn.data import read_ahead
from estimator_cnn.training import best
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import damaged_checkpoints
from estimator_cnn.training import loop
from estimator_cnn.training.model_dir import path_characters
from estimator_cnn.training.model_dir import run_folders
from estimator_cnn.training import safety
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.progress import ProgressHook

RUNS_ROOT = "runs"


@contextlib.contextmanager
def _locked(model_dir, created=None):
  """Holds model_dir's lock (safety.ModelDirLock), creating model_dir for it.

  A UserError removes the folders this run created (`created`, else the outermost of
  model_dir's that did not exist) while they hold no file.
  """
  created = created or path_checks.existing_and_missing(model_dir)[1]
  try:
    with safety.write_failures_reported(model_dir):
      os.makedirs(model_dir, exist_ok=True)
      with safety.ModelDirLock(model_dir):
        yield
  except UserError:
    if created and not any(names for _, _, names in os.walk(created)):
      shutil.rmtree(created)
    raise


def _new_or_given_model_dir(settings):
  """(model_dir, the outermost folder this run creates for it or None): --model_dir checked,
  else a new folder under RUNS_ROOT named after the optimizer."""
  if settings.model_dir is not None:
    path_characters.check_path_characters(settings.model_dir)
    path_checks.check_writable_folder(settings.model_dir, "model_dir")
    return settings.model_dir, None
  created = path_checks.existing_and_missing(RUNS_ROOT)[1]
  model_dir = run_folders.new_run_dir(RUNS_ROOT,
                                        settings_lib.model_params(settings)["optimizer"])
  return model_dir, created or model_dir


def train(settings, evaluate_periodically=False):
  """Trains with the preset's recipe (resuming from model_dir's checkpoint), then evaluates.

  Records the plan (batch size, last step, --recipe) in params.json, and continues an
  unfinished one when no flag sets another. With evaluate_periodically, evaluates every
  plan.eval_every steps on the recipe's validation split (keeping the best checkpoint if
  the recipe does), else on the test set.
  """
  dataset = read_ahead.load(settings.data_dir)
  model_dir, created = _new_or_given_model_dir(settings)
  # Under the lock: no other training writes checkpoints while they are checked.
  with _locked(model_dir, created):
    run = resolve.training_run(settings, model_dir, dataset)
    if run.first_step >= run.last_step:  # Only --max_steps can end at or before the checkpoint.
      print(f"global step {run.first_step} already reaches --max_steps={run.plan.max_steps}: "
            f"nothing to train, {model_dir} left as it was (evaluate it: {settings.command} "
            f"--mode=eval --model_dir={shlex.quote(model_dir)})")
      return None
    _print_start(run)
    estimator = build.make_estimator(model_dir, run.params, settings.seed, settings.log_every,
                                     settings.save_checkpoints_steps)
    stopped_by = _train_guarded(run, estimator, settings.log_every, evaluate_periodically)
  if stopped_by is not None:
    raise TrainingInterrupted(
        f"interrupted by {stopped_by.name}: checkpoint saved at global step "
        f"{build.global_step(estimator)} in {model_dir}; resume with: {settings.command} "
        f"--model_dir={shlex.quote(model_dir)} --max_steps={run.last_step} "
        f"--batch_size={run.plan.batch_size}",
        stopped_by.value)
  return _report(run, estimator, dataset, settings.command)


def _print_start(run):
  """The model_dir, and the plan continued if it is params.json's."""
  print(f"model_dir: {run.model_dir}")
  if run.continues_plan:
    recipe_part = f", --recipe={run.recipe_name}" if run.recipe_name else ""
    print(f"continuing the unfinished plan of {saved_params.PARAMS_FILE}: up to global step "
          f"{run.last_step}, batch {run.plan.batch_size}{recipe_part}; pass --steps or "
          "--max_steps for another")


def _train_guarded(run, estimator, log_every, evaluate_periodically):
  """training.loop.train of run, its damaged checkpoints set aside first; returns the signal that
  stopped it, or None. Divergence is a UserError."""

  def evaluate(at_step):
    images, labels, split = run.evaluation
    if split != "test":
      build.evaluate(estimator, images, labels, split, run.recipe.keep_best)
    elif at_step < run.last_step:  # The last evaluation on the test set is the report's.
      build.evaluate(estimator, images, labels)

  damaged_checkpoints.set_aside(run.model_dir, run.start)
  try:
    return loop.train(
        estimator, build.train_input_fn(run.data.train_images, run.data.train_labels,
                                        run.plan.batch_size),
        run.params, run.last_step,
        [ProgressHook(run.plan.batch_size, run.last_step, log_every)],
        run.plan.eval_every if evaluate_periodically else None, evaluate, run.recorded_plan)
  except loop.Diverged as e:
    raise UserError(
        f"training diverged: the loss or a weight became NaN or infinite at step {e.step}; the "
        f"latest checkpoint is {e.kept or 'none'}: lower --learning_rate (now "
        f"{run.params['learning_rate']}) and train again") from None


def _report(run, estimator, dataset, command):
  """Evaluates the trained model on the test set and says where it is; returns the metrics."""
  metrics = build.evaluate(estimator, dataset.test_images, dataset.test_labels)
  model_dir = run.model_dir
  print(f"model_dir: {model_dir}  (evaluate again: {command} --mode=eval "
        f"--model_dir={shlex.quote(model_dir)})")
  kept = best.load_best(model_dir) if run.recipe.keep_best else None
  if kept:
    print(f"best checkpoint: global step {kept['step']}, validation accuracy "
          f"{kept['accuracy']:.4f}  (evaluate it: {command} --mode=eval "
          f"--model_dir={shlex.quote(best.best_dir(model_dir))})")
  print(f"TensorBoard: tensorboard --logdir={shlex.quote(model_dir)}")
  return metrics
