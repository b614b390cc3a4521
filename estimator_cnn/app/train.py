"""--mode=train (and train_and_eval outside a cluster): the preset's recipe, resumable, tested."""

import contextlib
import os
import shlex
import shutil

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.base import path_checks
from estimator_cnn.base.errors import TrainingInterrupted, UserError
from estimator_cnn.data import idx_csv
from estimator_cnn.data import splits
from estimator_cnn.model import model_fn
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets
from estimator_cnn.training import best
from estimator_cnn.training import build
from estimator_cnn.training import checkpoint_files
from estimator_cnn.training import checkpoint_match
from estimator_cnn.training import damaged_checkpoints
from estimator_cnn.training import loop
from estimator_cnn.training import path_characters
from estimator_cnn.training import run_folders
from estimator_cnn.training import safety
from estimator_cnn.training import saved_params
from estimator_cnn.training import starting_point
from estimator_cnn.training.progress import ProgressHook

RUNS_ROOT = "runs"


def checked_params(settings, stored, saved=None, checkpoint=None):
  """The model params of settings over settings.model_dir's saved ones; raises UserError when a
  saved one breaks its rule (model.param_rules), then when the checkpoint's {variable: shape},
  stored, are another network's."""
  if saved:
    param_rules.check_saved(os.path.join(settings.model_dir, saved_params.PARAMS_FILE), saved,
                            settings.explicit)
  params = settings_lib.model_params(settings, saved)
  if checkpoint:
    checkpoint_match.check_checkpoint_matches(checkpoint, stored, model_fn.variable_shapes(params))
  return params


def unfinished_plan(settings, recorded, global_step):
  """The plan params.json records, recorded, if training continues it, else None.

  Training continues it while global_step is short of its last step, unless a flag
  of settings_lib.PLAN_FLAGS sets another plan.
  """
  if settings.explicit & set(settings_lib.PLAN_FLAGS):
    return None
  return recorded if recorded and global_step < recorded["last_step"] else None


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


def train(settings, evaluate_periodically=False):
  """Trains with the preset's recipe (resuming from model_dir's checkpoint), then evaluates.

  Records the plan (batch size, last step, --recipe) in params.json, and continues an
  unfinished one when no flag sets another. With evaluate_periodically, evaluates every
  plan.eval_every steps on the recipe's validation split (keeping the best checkpoint if
  the recipe does), else on the test set.
  """
  dataset = idx_csv.load_fashion_mnist(settings.data_dir)
  model_dir = settings.model_dir
  created = None
  if model_dir is None:
    created = path_checks.existing_and_missing(RUNS_ROOT)[1]
    model_dir = run_folders.new_run_dir(RUNS_ROOT,
                                          settings_lib.model_params(settings)["optimizer"])
    created = created or model_dir
  else:
    path_characters.check_path_characters(model_dir)
    path_checks.check_writable_folder(model_dir, "model_dir")
  # Under the lock: no other training writes checkpoints while they are checked.
  with _locked(model_dir, created):
    start = starting_point.training_start(model_dir)
    params = checked_params(settings, start.shapes, start.params, start.checkpoint)
    recipe = presets.PRESETS[params["preset"]].recipe
    data = splits.training_data(recipe.split, dataset.train_images, dataset.train_labels,
                                settings.train_subset)
    step = checkpoint_files.checkpoint_step(start.checkpoint) if start.checkpoint else 0
    unfinished = unfinished_plan(settings, start.plan, step)
    plan = settings_lib.training_plan(settings, params["preset"], len(data.train_labels),
                                      unfinished)
    last_step = plan.max_steps if plan.max_steps is not None else step + plan.steps
    params = settings_lib.schedule_ending_at(params, last_step)
    if step >= last_step:  # Only --max_steps can end at or before the checkpoint's step.
      print(f"global step {step} already reaches --max_steps={plan.max_steps}: nothing to train, "
            f"{model_dir} left as it was (evaluate it: {settings.command} --mode=eval "
            f"--model_dir={shlex.quote(model_dir)})")
      return None
    recipe_name = unfinished.get("recipe") if unfinished else settings.recipe
    recorded_plan = {"batch_size": plan.batch_size, "last_step": last_step,
                     **({"recipe": recipe_name} if recipe_name else {})}
    print(f"model_dir: {model_dir}")
    if unfinished:
      recipe_part = f", --recipe={recipe_name}" if recipe_name else ""
      print(f"continuing the unfinished plan of {saved_params.PARAMS_FILE}: up to global step "
            f"{last_step}, batch {plan.batch_size}{recipe_part}; pass --steps or --max_steps for "
            "another")
    estimator = build.make_estimator(model_dir, params, settings.seed, settings.log_every,
                                     settings.save_checkpoints_steps)

    def evaluate(at_step):
      if data.validation_labels is not None:
        build.evaluate(estimator, data.validation_images, data.validation_labels, "validation",
                       recipe.keep_best)
      elif at_step < last_step:
        build.evaluate(estimator, dataset.test_images, dataset.test_labels)

    damaged_checkpoints.set_aside(model_dir, start)
    try:
      stopped_by = loop.train(
          estimator, build.train_input_fn(data.train_images, data.train_labels, plan.batch_size),
          params, last_step, [ProgressHook(plan.batch_size, last_step, settings.log_every)],
          plan.eval_every if evaluate_periodically else None, evaluate, recorded_plan)
    except loop.Diverged as e:
      raise UserError(
          f"training diverged: the loss or a weight became NaN or infinite at step {e.step}; the "
          f"latest checkpoint is {e.kept or 'none'}: lower --learning_rate (now "
          f"{params['learning_rate']}) and train again") from None
  if stopped_by is not None:
    raise TrainingInterrupted(
        f"interrupted by {stopped_by.name}: checkpoint saved at global step "
        f"{build.global_step(estimator)} in {model_dir}; resume with: {settings.command} "
        f"--model_dir={shlex.quote(model_dir)} --max_steps={last_step} "
        f"--batch_size={plan.batch_size}",
        stopped_by.value)
  metrics = build.evaluate(estimator, dataset.test_images, dataset.test_labels)
  print(f"model_dir: {model_dir}  (evaluate again: {settings.command} --mode=eval "
        f"--model_dir={shlex.quote(model_dir)})")
  kept = best.load_best(model_dir) if recipe.keep_best else None
  if kept:
    print(f"best checkpoint: global step {kept['step']}, validation accuracy "
          f"{kept['accuracy']:.4f}  (evaluate it: {settings.command} --mode=eval "
          f"--model_dir={shlex.quote(best.best_dir(model_dir))})")
  print(f"TensorBoard: tensorboard --logdir={shlex.quote(model_dir)}")
  return metrics
