"""The evaluation report of --mode=eval: metrics.json, PNG figures and a short text summary."""

import collections
import glob
import os

from matplotlib.figure import Figure  # Renders with Agg; pyplot and its GUI backends stay out.
import numpy as np

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base import json_files
from estimator_cnn.base.fashion_mnist import CLASS_NAMES, NUM_CLASSES
from estimator_cnn.data.idx_csv import unit_float
from estimator_cnn.report.figures import save_figure

EVAL_REPORT_DIR = "eval_report"
METRICS_FILE = "metrics.json"
CONFUSION_MATRIX_PNG = "confusion_matrix.png"
PREDICTIONS_PNG = "predictions.png"
LEAST_CONFIDENT_PNG = "least_confident.png"
CONFIDENCE_PNG = "confidence_histogram.png"
TRAINING_CURVES_PNG = "training_curves.png"
PNG_FILES = (CONFUSION_MATRIX_PNG, PREDICTIONS_PNG, LEAST_CONFIDENT_PNG, CONFIDENCE_PNG,
             TRAINING_CURVES_PNG)
CURVE_TAGS = ("loss", "accuracy")
CURVE_AXIS_LABELS = {"loss": "cross-entropy loss", "accuracy": "accuracy (fraction right)"}
GRID_COLUMNS = 5
GRID_SIZE = 25
NUM_CONFUSED_PAIRS = 10
NUM_SUMMARY_ITEMS = 3
RIGHT_COLOUR = "tab:green"
WRONG_COLOUR = "tab:red"


def _ratio(numerator, denominator):
  """numerator / denominator, 0 where the denominator is 0."""
  return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def classification_metrics(labels, probabilities):
  """Confusion matrix (rows: true class), precision, recall and F1 per class, top confusions."""
  predicted = np.argmax(probabilities, axis=1)
  confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
  np.add.at(confusion, (labels, predicted), 1)
  right = np.diag(confusion)
  precision = _ratio(right, confusion.sum(axis=0))
  recall = _ratio(right, confusion.sum(axis=1))
  f1 = _ratio(2 * precision * recall, precision + recall)
  per_class = [{"class": name, "precision": float(precision[k]), "recall": float(recall[k]),
                "f1": float(f1[k]), "support": int(confusion[k].sum())}
               for k, name in enumerate(CLASS_NAMES)]
  mistakes = confusion - np.diag(right)
  order = np.argsort(-mistakes, axis=None, kind="stable")[:NUM_CONFUSED_PAIRS]
  most_confused = [
      {"true": CLASS_NAMES[truth], "predicted": CLASS_NAMES[guess],
       "count": int(mistakes[truth, guess])}
      for truth, guess in zip(*np.unravel_index(order, mistakes.shape)) if mistakes[truth, guess]]
  return {"per_class": per_class,
          "confusion_matrix": {"rows": "true class", "columns": "predicted class",
                               "classes": list(CLASS_NAMES), "counts": confusion.tolist()},
          "most_confused": most_confused}


def read_training_curves(*model_dirs):
  """Scalar curves from the event files of each model_dir and its eval* folders.

  An evaluation of a read-only model_dir writes its events to REPORT_DIR/eval:
  pass the model_dir and the report's folder.

  Returns:
    {"train loss", "eval loss", "eval accuracy", ...: (steps, values)}; a step
    logged more than once keeps its latest value.
  """
  points = collections.defaultdict(list)
  for model_dir in model_dirs:
    folders = [model_dir] + sorted(path for path in glob.glob(os.path.join(model_dir, "eval*"))
                                   if os.path.isdir(path))
    for folder in folders:
      source = "train" if folder == model_dir else os.path.basename(folder)
      for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        for event in _read_events(path):
          for value in event.summary.value:
            if value.tag in CURVE_TAGS and value.HasField("simple_value"):
              points[source, value.tag].append((event.wall_time, event.step, value.simple_value))
  curves = {}
  for source, tag in sorted(points, key=lambda key: (key[0] != "train", key[0],
                                                     CURVE_TAGS.index(key[1]))):
    latest = {step: value for _, step, value in sorted(points[source, tag])}
    steps = sorted(latest)
    curves[f"{source} {tag}"] = (steps, [latest[step] for step in steps])
  return curves


def _read_events(path):
  """The events of one file, up to a truncated record (a file still being written)."""
  try:
    yield from tf.compat.v1.train.summary_iterator(path)
  except tf.errors.DataLossError:
    return


def report_metrics(labels, probabilities, eval_metrics):
  """The report's metrics: eval_metrics (Estimator.evaluate's accuracy, loss and global_step),
  the number of images and classification_metrics."""
  return {"accuracy": float(eval_metrics["accuracy"]), "loss": float(eval_metrics["loss"]),
          "global_step": int(eval_metrics["global_step"]), "num_test_images": len(labels),
          **classification_metrics(labels, probabilities)}


def write_eval_report(report_dir, images, labels, probabilities, metrics, model_dir):
  """Writes metrics.json and the PNGs into report_dir.

  Args:
    report_dir: folder to write to, created if needed.
    images: the test images, float (N, 28, 28).
    labels: their true classes, int (N,).
    probabilities: the model's class probabilities, (N, 10).
    metrics: report_metrics' result.
    model_dir: the model_dir whose event files hold the training curves; those of
      report_dir/eval are drawn too.
  """
  os.makedirs(report_dir, exist_ok=True)
  json_files.write_json(os.path.join(report_dir, METRICS_FILE), metrics)
  confusion = np.array(metrics["confusion_matrix"]["counts"])
  plot_confusion_matrix(confusion, os.path.join(report_dir, CONFUSION_MATRIX_PNG))
  plot_prediction_grid(images, labels, probabilities, np.arange(min(GRID_SIZE, len(labels))),
                       "Test predictions", os.path.join(report_dir, PREDICTIONS_PNG))
  least_confident = np.argsort(probabilities.max(axis=1), kind="stable")[:GRID_SIZE]
  plot_prediction_grid(images, labels, probabilities, least_confident,
                       "Least confident test predictions",
                       os.path.join(report_dir, LEAST_CONFIDENT_PNG))
  plot_confidence_histogram(labels, probabilities, os.path.join(report_dir, CONFIDENCE_PNG))
  plot_training_curves(curves_up_to(read_training_curves(model_dir, report_dir),
                                    metrics["global_step"]),
                       os.path.join(report_dir, TRAINING_CURVES_PNG))


def summary_lines(metrics, report_dir):
  """The report in a few lines: where it is (if report_dir), accuracy, weakest classes, most
  confused pairs."""
  right = int(np.trace(metrics["confusion_matrix"]["counts"]))
  weakest = sorted(metrics["per_class"], key=lambda c: c["f1"])[:NUM_SUMMARY_ITEMS]
  confused = metrics["most_confused"][:NUM_SUMMARY_ITEMS]
  return [
      *([f"eval report: {report_dir}  ({METRICS_FILE} and {len(PNG_FILES)} PNGs)"]
        if report_dir else []),
      f"accuracy {metrics['accuracy']:.4f}: {right} of {metrics['num_test_images']} test "
      "images right",
      "weakest classes (F1): " + ", ".join(f"{c['class']} {c['f1']:.3f}" for c in weakest),
      "most confused (true -> predicted): " + (", ".join(
          f"{p['true']} -> {p['predicted']} ({p['count']})" for p in confused) or "none"),
  ]


def per_class_table(per_class):
  """Aligned lines of class, precision, recall, F1 and support; per_class as in metrics.json."""
  name_width = max(len("class"), *(len(c["class"]) for c in per_class))
  support_width = max(len("support"), *(len(str(c["support"])) for c in per_class))
  lines = [f"{'class':<{name_width}}  precision  recall     F1  {'support':>{support_width}}"]
  lines += [f"{c['class']:<{name_width}}  {c['precision']:9.3f}  {c['recall']:6.3f}  "
            f"{c['f1']:5.3f}  {c['support']:>{support_width}}" for c in per_class]
  return lines


def plot_confusion_matrix(confusion, path):
  """The confusion matrix with each row divided by its true-class count."""
  normalised = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
  figure = Figure(figsize=(8, 7), layout="constrained")
  axes = figure.add_subplot()
  image = axes.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
  figure.colorbar(image, ax=axes, label="fraction of the true class")
  ticks = np.arange(NUM_CLASSES)
  axes.set_xticks(ticks, CLASS_NAMES, rotation=45, ha="right")
  axes.set_yticks(ticks, CLASS_NAMES)
  axes.set_xlabel("predicted class")
  axes.set_ylabel("true class")
  for (row, column), value in np.ndenumerate(normalised):
    axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
              color="white" if value > 0.5 else "black")
  axes.set_title("Confusion matrix (rows normalised)")
  save_figure(figure, path)


def plot_prediction_grid(images, labels, probabilities, indices, title, path):
  """Images with their predicted class and probability, green when right, red when wrong."""
  rows = -(-len(indices) // GRID_COLUMNS)
  figure = Figure(figsize=(2 * GRID_COLUMNS, 2.4 * rows), layout="constrained")
  figure.suptitle(title)
  for position, index in enumerate(indices):
    axes = figure.add_subplot(rows, GRID_COLUMNS, position + 1)
    axes.imshow(unit_float(images[index]), cmap="gray", vmin=0, vmax=1)
    predicted, truth = int(np.argmax(probabilities[index])), int(labels[index])
    colour = RIGHT_COLOUR if predicted == truth else WRONG_COLOUR
    axes.set_title(f"{CLASS_NAMES[predicted]} {probabilities[index][predicted]:.2f}\n"
                   f"true: {CLASS_NAMES[truth]}", color=colour, fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
      spine.set_color(colour)
      spine.set_linewidth(3)
  save_figure(figure, path)


def plot_confidence_histogram(labels, probabilities, path):
  """Histogram of the top-class probability, right and wrong predictions apart."""
  confidence = probabilities.max(axis=1)
  right = np.argmax(probabilities, axis=1) == labels
  figure = Figure(figsize=(7, 4.5), layout="constrained")
  axes = figure.add_subplot()
  axes.hist([confidence[right], confidence[~right]], bins=np.linspace(0, 1, 21),
            color=[RIGHT_COLOUR, WRONG_COLOUR],
            label=[f"right ({int(right.sum())})", f"wrong ({int((~right).sum())})"])
  axes.set_yscale("log")
  axes.set_xlabel("probability of the predicted class")
  axes.set_ylabel("test images (log scale)")
  axes.set_title("Prediction confidence")
  axes.legend(loc="upper left")
  save_figure(figure, path)


def curves_up_to(curves, last_step):
  """The curves' points at global steps up to last_step; curves left without points are dropped.

  An interrupted run's event files can go past the checkpoint evaluated.
  """
  cut = {}
  for name, (steps, values) in curves.items():
    kept = [(step, value) for step, value in zip(steps, values) if step <= last_step]
    if kept:
      cut[name] = tuple(list(column) for column in zip(*kept))
  return cut


def plot_training_curves(curves, path):
  """Loss curves (train and eval) and the eval accuracy against the global step; returns the figure.

  A curve of one point (a single evaluation) is drawn as a point labelled with its value.
  """
  figure = Figure(figsize=(11, 4), layout="constrained")
  for axes, tag in zip(figure.subplots(1, len(CURVE_TAGS), sharex=True), CURVE_TAGS):
    tagged = {name: curve for name, curve in curves.items() if name.endswith(" " + tag)}
    for name, (steps, values) in tagged.items():
      axes.plot(steps, values, marker="o" if len(steps) < 20 else None, label=name)
      if len(steps) == 1:
        axes.annotate(f"{values[0]:.4f}", (steps[0], values[0]), textcoords="offset points",
                      xytext=(0, 8), ha="center")
    if tagged:
      axes.legend()
    else:
      axes.text(0.5, 0.5, f"no {tag} in the event files", ha="center", va="center",
                transform=axes.transAxes)
    single = tagged and all(len(steps) == 1 for steps, _ in tagged.values())
    axes.set_title(f"{tag}: one evaluation, no curve yet" if single else tag)
    axes.set_xlabel("global step")
    axes.set_ylabel(CURVE_AXIS_LABELS[tag])
  save_figure(figure, path)
  return figure
