"""--mode=eval, predict and export, on a trained model_dir.

A read-only model_dir is enough for them, and a training may run in it: they read
a copy of its newest complete checkpoint (checkpoint_lookup.checkpoint_to_read). What they
write appears whole or not at all: a full disk, a folder without permission or
read-only, and Ctrl-C each stop them in one line and leave the earlier files as
they were.
"""

import contextlib
import os
import tempfile

import numpy as np

from estimator_cnn.app import resolve
from estimator_cnn.app.one_line import stops_in_one_line, write_failures_in_one_line
from estimator_cnn.base import atomic_writes
from estimator_cnn.base import path_checks
from estimator_cnn.base.errors import UserError
from estimator_cnn.base.fashion_mnist import CLASS_NAMES
from estimator_cnn.data import idx_csv
from estimator_cnn.data import read_ahead
from estimator_cnn.data import user_images
from estimator_cnn.model import presets
from estimator_cnn.report import eval_report
from estimator_cnn.report import saved_model
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import checkpoint_files
from estimator_cnn.training.model_dir import checkpoint_lookup
from estimator_cnn.training.model_dir import path_characters
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.progress import EvalProgressHook


def evaluate_model_dir(settings):
  """Evaluates the model_dir's checkpoint (--checkpoint, else the latest) on the test images and
  writes a report: into --report_dir, else MODEL_DIR/eval_report.

  A read-only model_dir is only read: the evaluation's event files go to the
  report's eval/ folder instead of MODEL_DIR/eval, and without --report_dir
  nothing is written.
  """
  with _checkpoint_to_read(settings) as (model_dir, params, checkpoint, copy):
    return _evaluate(settings, model_dir, params, checkpoint, copy)


def _evaluate(settings, model_dir, params, checkpoint, copy):
  """evaluate_model_dir of the checkpoint, read from its copy."""
  model_dir_writable = os.access(model_dir, os.W_OK)
  report_dir = settings.report_dir or (
      os.path.join(model_dir, eval_report.EVAL_REPORT_DIR) if model_dir_writable else None)
  if report_dir:
    path_checks.check_writable_folder(report_dir, "report_dir")
  dataset = read_ahead.load(settings.data_dir)
  # Without a report, the folder only holds the evaluation's event files until the end.
  report_folder = (atomic_writes.folder_written_atomically(report_dir) if report_dir
                   else tempfile.TemporaryDirectory())
  with (stops_in_one_line(report_dir, "report_dir", "any earlier report there is kept"),
        report_folder as staging):
    # Estimator.evaluate writes its event files to the Estimator's model_dir/eval.
    estimator = build.make_estimator(model_dir if model_dir_writable else staging, params,
                                     settings.seed)
    with (write_failures_in_one_line(estimator.eval_dir(), "no eval report written")
          if model_dir_writable else contextlib.nullcontext()):
      metrics = build.evaluate(estimator, dataset.test_images, dataset.test_labels,
                               hooks=[EvalProgressHook(len(dataset.test_labels),
                                                       presets.EVAL_BATCH_SIZE)],
                               checkpoint_path=copy)
    _print_checkpoint(checkpoint)
    probabilities = build.predict_probabilities(estimator, dataset.test_images, copy)
    report = eval_report.report_metrics(dataset.test_labels, probabilities, metrics)
    if report_dir:
      eval_report.write_eval_report(staging, dataset.test_images, dataset.test_labels,
                                    probabilities, report, model_dir)
  print("\n".join(eval_report.per_class_table(report["per_class"])))
  if not report_dir:
    print(f"eval report not written: --model_dir={model_dir} is read-only (pass --report_dir "
          "to keep it)")
  print("\n".join(eval_report.summary_lines(report, report_dir)))
  return metrics


def predict(settings):
  """Prints the predicted class and its probability for the chosen test images; writes their
  top-3 classes to --output if given."""
  with _checkpoint_to_read(settings) as (model_dir, params, checkpoint, copy):
    return _predict(settings, model_dir, params, checkpoint, copy)


def _predict(settings, model_dir, params, checkpoint, copy):
  """predict with the checkpoint, read from its copy."""
  dataset = idx_csv.load_fashion_mnist(settings.data_dir)
  indices = [int(i) for i in settings.predict_indices]
  count = len(dataset.test_labels)
  if max(indices) >= count:
    raise UserError(f"--predict_indices={max(indices)} is past the {count} test images in "
                    f"{dataset.source}: pass indices 0..{count - 1}")
  if settings.output:
    user_images.check_output_path(settings.output)
  results = []
  with stops_in_one_line(settings.output, "output", "any earlier file there is kept"):
    estimator = build.make_estimator(model_dir, params, settings.seed)
    _print_checkpoint(checkpoint)
    probabilities = build.predict_probabilities(estimator, dataset.test_images[indices], copy)
    for index, image_probabilities in zip(indices, probabilities):
      predicted = int(np.argmax(image_probabilities))
      truth = int(dataset.test_labels[index])
      probability = float(image_probabilities[predicted])
      mark = "right" if predicted == truth else "WRONG"
      print(f"test image {index}: {CLASS_NAMES[predicted]} ({probability:.3f})  "
            f"true: {CLASS_NAMES[truth]}  {mark}")
      results.append((index, predicted, probability))
    if settings.output:
      user_images.write_predictions(settings.output, [f"test image {i}" for i in indices],
                                    [False] * len(indices), probabilities, model_dir)
      print(f"predictions: {settings.output}")
  return results


def predict_files(settings):
  """Prints the top-3 classes of each image in --images; writes them to --output if given."""
  with _checkpoint_to_read(settings) as (model_dir, params, checkpoint, copy):
    return _predict_files(settings, model_dir, params, checkpoint, copy)


def _predict_files(settings, model_dir, params, checkpoint, copy):
  """predict_files with the checkpoint, read from its copy."""
  images, names, inverted = user_images.load_images(settings.images, settings.invert,
                                                    settings.max_image_pixels)
  if settings.output:
    user_images.check_output_path(settings.output)
  with stops_in_one_line(settings.output, "output", "any earlier file there is kept"):
    estimator = build.make_estimator(model_dir, params, settings.seed)
    _print_checkpoint(checkpoint)
    probabilities = build.predict_probabilities(estimator, images, copy)
    for name, was_inverted, image_probabilities in zip(names, inverted, probabilities):
      top = ", ".join(f"{class_name} {probability:.3f}"
                      for class_name, probability in user_images.top_classes(image_probabilities))
      print(f"{name}{' (inverted)' if was_inverted else ''}: {top}")
    if settings.output:
      user_images.write_predictions(settings.output, names, inverted, probabilities, model_dir)
      print(f"predictions: {settings.output}")
  return probabilities


def export(settings):
  """Writes the model_dir's checkpoint as a new SavedModel version in --export_dir."""
  if not settings.export_dir:
    raise UserError("--mode=export needs --export_dir: the folder to write the SavedModel to")
  with _checkpoint_to_read(settings) as (model_dir, params, checkpoint, copy):
    return _export(settings, model_dir, params, checkpoint, copy)


def _export(settings, model_dir, params, checkpoint, copy):
  """export of the checkpoint, read from its copy."""
  export_dir = settings.export_dir
  saved_model.check_export_dir(export_dir)
  with stops_in_one_line(export_dir, "export_dir", "its earlier versions are kept"):
    estimator = saved_model.with_class_names(build.make_estimator(model_dir, params,
                                                                  settings.seed))
    _print_checkpoint(checkpoint)
    version_dir = saved_model.export_saved_model(estimator, export_dir, copy)
  print(f"SavedModel: {version_dir}  (signature {saved_model.SIGNATURE_NAME}: "
        f"{saved_model.INPUT_NAME} float32 [None, 28, 28] in [0, 1] -> "
        f"{', '.join(saved_model.OUTPUT_NAMES)})")
  return version_dir


@contextlib.contextmanager
def _checkpoint_to_read(settings):
  """Yields (model_dir, params, the checkpoint to read, a copy of it to read from) of
  --model_dir's --checkpoint, else its latest checkpoint; checked, nothing written there.

  The copy, hard links in a temporary folder, stays whole while a training in
  model_dir deletes the checkpoint (tf.estimator keeps its newest 5).
  """
  model_dir = settings.model_dir
  if model_dir is None:
    raise UserError(f"--mode={settings.mode} needs --model_dir: the folder training printed")
  path_characters.check_path_characters(model_dir)
  path_checks.check_readable_folder(model_dir, "model_dir")
  with tempfile.TemporaryDirectory(prefix="estimator_cnn-checkpoint-") as folder:
    checkpoint, copy, stored = checkpoint_lookup.checkpoint_to_read(
        model_dir, settings.checkpoint, folder)
    params = resolve.checked_params(settings, model_dir, stored,
                                    saved_params.load_params(model_dir), checkpoint)
    yield model_dir, params, checkpoint, copy


def _print_checkpoint(checkpoint):
  print(f"checkpoint: {checkpoint} (global step {checkpoint_files.checkpoint_step(checkpoint)})")
