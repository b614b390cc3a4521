"""What run.py does in each --mode: train, eval, predict, train_and_eval, inspect, export."""

import os

import numpy as np

from estimator_cnn import config
from estimator_cnn import data
from estimator_cnn import distributed
from estimator_cnn import estimator as tf_estimator
from estimator_cnn import input_fn
from estimator_cnn import inspect_data
from estimator_cnn import model
from estimator_cnn import model_dir as model_dir_lib
from estimator_cnn import presets
from estimator_cnn import report
from estimator_cnn import safety
from estimator_cnn import serving
from estimator_cnn import user_images
from estimator_cnn.errors import TrainingInterrupted, UserError
from estimator_cnn.progress import ProgressHook

RUNS_ROOT = "runs"
EVAL_BATCH_SIZE = 500


def make_estimator(model_dir, params, seed, log_every=100, save_checkpoints_steps=None):
  """An Estimator of the model_fn; checkpoints as tf.estimator's defaults unless steps are given."""
  every = {"save_checkpoints_steps": save_checkpoints_steps} if save_checkpoints_steps else {}
  run_config = tf_estimator.RunConfig(tf_random_seed=seed, log_step_count_steps=log_every,
                                      save_summary_steps=log_every, **every)
  return tf_estimator.Estimator(model.model_fn, model_dir=model_dir, config=run_config,
                                params=params)


def train_input_fn(images, labels, batch_size):
  return input_fn.numpy_input_fn({model.FEATURE_KEY: images}, labels, batch_size=batch_size,
                                 num_epochs=None, shuffle=True)


def eval_input_fn(images, labels=None):
  return input_fn.numpy_input_fn({model.FEATURE_KEY: images}, labels,
                                 batch_size=EVAL_BATCH_SIZE)


def prepare_model_dir(model_dir, flag_values, must_have_checkpoint):
  """Checks model_dir before anything is written; returns the params to run with."""
  model_dir_lib.check_writable_folder(model_dir, "model_dir")
  checkpoint = (model_dir_lib.require_checkpoint(model_dir) if must_have_checkpoint
                else model_dir_lib.latest_checkpoint(model_dir))
  params = config.model_params(flag_values, model_dir_lib.load_params(model_dir)
                               if os.path.isdir(model_dir) else None)
  if checkpoint:
    model_dir_lib.check_checkpoint_matches(checkpoint, model.variable_shapes(params))
  return params


def evaluate(estimator, dataset):
  """Test-set metrics of the latest checkpoint, printed in one line."""
  metrics = estimator.evaluate(eval_input_fn(dataset.test_images, dataset.test_labels))
  print_metrics(estimator, "test", metrics, len(dataset.test_labels))
  return metrics


def print_metrics(estimator, split, metrics, num_images, checkpoint=None, keep_best=False):
  """Prints an evaluation's metrics in one line; keep_best keeps checkpoint in best/ if best."""
  line = (f"{split} accuracy {metrics['accuracy']:.4f}  loss {metrics['loss']:.4f}  "
          f"global_step {metrics['global_step']}  ({num_images} {split} images)")
  if keep_best and presets.keep_if_best(estimator.model_dir, checkpoint, metrics):
    line += f"  best so far: copied to {presets.best_dir(estimator.model_dir)}"
  print(line, flush=True)


def predict_probabilities(estimator, images):
  """Class probabilities (N, 10) of the latest checkpoint, in one Estimator.predict pass."""
  batches = estimator.predict(eval_input_fn(images), predict_keys=["probabilities"],
                              yield_single_examples=False)
  return np.concatenate([batch["probabilities"] for batch in batches])


def validate(estimator, training_data, keep_best):
  """Prints the validation metrics of the latest checkpoint; keep_best keeps the best in best/."""
  metrics = estimator.evaluate(eval_input_fn(training_data.validation_images,
                                             training_data.validation_labels), name="validation")
  print_metrics(estimator, "validation", metrics, len(training_data.validation_labels),
                estimator.latest_checkpoint(), keep_best)
  return metrics


def train(flag_values, evaluate_periodically=False):
  """Trains with the preset's recipe (resuming from model_dir's checkpoint), then evaluates.

  With evaluate_periodically, evaluates every plan.eval_every steps on the recipe's
  validation split (keeping the best checkpoint if the recipe does), else on the test set.
  """
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  model_dir = flag_values.model_dir
  if model_dir is None:
    params = config.model_params(flag_values)
    model_dir = model_dir_lib.new_run_dir(RUNS_ROOT, params["optimizer"])
  else:
    params = prepare_model_dir(model_dir, flag_values, must_have_checkpoint=False)
  recipe = presets.PRESETS[params["preset"]].recipe
  training_data = presets.training_data(recipe, dataset.train_images, dataset.train_labels,
                                        flag_values.train_subset)
  plan = config.training_plan(flag_values, params["preset"], len(training_data.train_labels))
  os.makedirs(model_dir, exist_ok=True)
  print(f"model_dir: {model_dir}")
  estimator = make_estimator(model_dir, params, flag_values.seed, flag_values.log_every,
                             flag_values.save_checkpoints_steps)
  steps, max_steps = plan.steps, plan.max_steps
  evaluate_every = plan.eval_every if evaluate_periodically else None
  start = global_step(estimator)
  last_step = max_steps if max_steps is not None else start + steps
  if start >= last_step:
    print(f"global step {start} already reaches --max_steps={max_steps}: nothing to train")
  progress = ProgressHook(plan.batch_size, last_step, flag_values.log_every)
  input_fn = train_input_fn(training_data.train_images, training_data.train_labels,
                            plan.batch_size)
  with (safety.write_failures_reported(model_dir), safety.ModelDirLock(model_dir),
        safety.StopOnSignal() as stop):
    model_dir_lib.save_params(model_dir, params)
    divergence = safety.DivergenceHook()
    step = start
    while step < last_step and stop.received is None:
      step = min(last_step, step + evaluate_every) if evaluate_every else last_step
      try:
        estimator.train(input_fn, max_steps=step, hooks=[
            progress, stop, divergence, safety.checkpoint_saver_hook(estimator)])
      except safety.DivergedError:
        kept = safety.rollback_to_finite_checkpoint(model_dir)
        raise UserError(
            f"training diverged: the loss became NaN or infinite at step {divergence.diverged_at}"
            f"; the latest checkpoint is {kept or 'none'}: lower --learning_rate (now "
            f"{params['learning_rate']}) and train again") from None
      if evaluate_every and stop.received is None:
        if training_data.validation_labels is not None:
          validate(estimator, training_data, recipe.keep_best)
        elif step < last_step:
          evaluate(estimator, dataset)
  if stop.received is not None:
    raise TrainingInterrupted(
        f"interrupted by {stop.received.name}: checkpoint saved at global step "
        f"{global_step(estimator)} in {model_dir}; resume with: python run.py "
        f"--model_dir={model_dir}", stop.received.value)
  metrics = evaluate(estimator, dataset)
  print(f"model_dir: {model_dir}  (evaluate again: python run.py --mode=eval "
        f"--model_dir={model_dir})")
  best = presets.load_best(model_dir) if recipe.keep_best else None
  if best:
    print(f"best checkpoint: global step {best['step']}, validation accuracy "
          f"{best['accuracy']:.4f}  (evaluate it: python run.py --mode=eval "
          f"--model_dir={presets.best_dir(model_dir)})")
  return metrics


def global_step(estimator):
  """The global step of the estimator's latest checkpoint, 0 when there is none."""
  return int(estimator.get_variable_value("global_step")) if estimator.latest_checkpoint() else 0


def evaluate_model_dir(flag_values):
  """Evaluates the model_dir's latest checkpoint on the 10,000 test images and writes a report."""
  model_dir = _require_model_dir_flag(flag_values)
  params = prepare_model_dir(model_dir, flag_values, must_have_checkpoint=True)
  report_dir = flag_values.report_dir or os.path.join(model_dir, report.EVAL_REPORT_DIR)
  model_dir_lib.check_writable_folder(report_dir, "report_dir")
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  estimator = make_estimator(model_dir, params, flag_values.seed)
  metrics = evaluate(estimator, dataset)
  probabilities = predict_probabilities(estimator, dataset.test_images)
  eval_report = report.write_eval_report(report_dir, dataset.test_images, dataset.test_labels,
                                         probabilities, metrics, model_dir)
  print("\n".join(report.summary_lines(eval_report, report_dir)))
  return metrics


def predict(flag_values):
  """Prints the predicted class and its probability for the chosen test images."""
  model_dir = _require_model_dir_flag(flag_values)
  params = prepare_model_dir(model_dir, flag_values, must_have_checkpoint=True)
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  indices = [int(i) for i in flag_values.predict_indices]
  count = len(dataset.test_labels)
  if max(indices) >= count:
    raise UserError(f"--predict_indices={max(indices)} is past the {count} test images in "
                    f"{dataset.source}: pass indices 0..{count - 1}")
  estimator = make_estimator(model_dir, params, flag_values.seed)
  results = []
  predictions = estimator.predict(eval_input_fn(dataset.test_images[indices]))
  for index, prediction in zip(indices, predictions):
    predicted = int(prediction["classes"])
    truth = int(dataset.test_labels[index])
    probability = float(np.max(prediction["probabilities"]))
    mark = "right" if predicted == truth else "WRONG"
    print(f"test image {index}: {data.CLASS_NAMES[predicted]} ({probability:.3f})  "
          f"true: {data.CLASS_NAMES[truth]}  {mark}")
    results.append((index, predicted, probability))
  return results


def predict_files(flag_values):
  """Prints the top-3 classes of each image in --images; writes them to --output if given."""
  model_dir = _require_model_dir_flag(flag_values)
  params = prepare_model_dir(model_dir, flag_values, must_have_checkpoint=True)
  images, names, inverted = user_images.load_images(flag_values.images, flag_values.invert)
  if flag_values.output:
    user_images.check_output_path(flag_values.output)
  estimator = make_estimator(model_dir, params, flag_values.seed)
  probabilities = predict_probabilities(estimator, images)
  for name, was_inverted, image_probabilities in zip(names, inverted, probabilities):
    top = ", ".join(f"{class_name} {probability:.3f}"
                    for class_name, probability in user_images.top_classes(image_probabilities))
    print(f"{name}{' (inverted)' if was_inverted else ''}: {top}")
  if flag_values.output:
    user_images.write_predictions(flag_values.output, names, inverted, probabilities, model_dir)
    print(f"predictions: {flag_values.output}")
  return probabilities


def inspect_dataset(flag_values):
  """Writes sample images per class and the class distribution of both splits as PNGs."""
  report_dir = flag_values.report_dir or inspect_data.DEFAULT_REPORT_DIR
  model_dir_lib.check_writable_folder(report_dir, "report_dir")
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  print(f"{len(dataset.train_labels)} training and {len(dataset.test_labels)} test images "
        f"from {dataset.source}")
  paths = inspect_data.write_data_overview(report_dir, dataset)
  print("\n".join(paths))
  return paths


def export(flag_values):
  """Writes the model_dir's latest checkpoint as a SavedModel at --export_dir."""
  model_dir = _require_model_dir_flag(flag_values)
  export_dir = flag_values.export_dir
  if not export_dir:
    raise UserError("--mode=export needs --export_dir: the folder to write the SavedModel to")
  params = prepare_model_dir(model_dir, flag_values, must_have_checkpoint=True)
  serving.check_export_dir(export_dir, flag_values.overwrite)
  serving.export_saved_model(make_estimator(model_dir, params, flag_values.seed), export_dir)
  print(f"SavedModel: {export_dir}  (signature {serving.SIGNATURE_NAME}: "
        f"{serving.INPUT_NAME} float32 [None, 28, 28] in [0, 1] -> classes, probabilities)")
  return export_dir


def _require_model_dir_flag(flag_values):
  if flag_values.model_dir is None:
    raise UserError(f"--mode={flag_values.mode} needs --model_dir: the folder training printed")
  return flag_values.model_dir


def run(flag_values):
  """Dispatches on --mode."""
  if flag_values.mode == "train":
    return train(flag_values)
  if flag_values.mode == "train_and_eval":
    return distributed.train_and_eval(flag_values)
  if flag_values.mode == "eval":
    return evaluate_model_dir(flag_values)
  if flag_values.mode == "inspect":
    return inspect_dataset(flag_values)
  if flag_values.mode == "export":
    return export(flag_values)
  if flag_values.images:
    return predict_files(flag_values)
  return predict(flag_values)
