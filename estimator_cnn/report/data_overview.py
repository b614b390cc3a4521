"""--mode=inspect: sample images per class and the class distribution of both splits, as PNGs."""

import os

from matplotlib.figure import Figure
import numpy as np

from estimator_cnn.base.fashion_mnist import CLASS_NAMES, NUM_CLASSES
from estimator_cnn.data.idx_csv import unit_float
from estimator_cnn.report.figures import save_figure

DEFAULT_REPORT_DIR = os.path.join("reports", "data")
SAMPLES_PNG = "samples_per_class.png"
DISTRIBUTION_PNG = "class_distribution.png"
SAMPLES_PER_CLASS = 10


def write_data_overview(report_dir, dataset):
  """Writes the sample grid and the class distribution into report_dir; returns their paths."""
  os.makedirs(report_dir, exist_ok=True)
  samples_path = os.path.join(report_dir, SAMPLES_PNG)
  distribution_path = os.path.join(report_dir, DISTRIBUTION_PNG)
  plot_samples_per_class(dataset.train_images, dataset.train_labels, samples_path)
  plot_class_distribution(dataset.train_labels, dataset.test_labels, distribution_path)
  return [samples_path, distribution_path]


def plot_samples_per_class(images, labels, path):
  """One row per class, labelled with its name: the class's first training images."""
  figure = Figure(figsize=(SAMPLES_PER_CLASS * 0.9 + 1.5, NUM_CLASSES * 0.9),
                  layout="constrained")
  figure.suptitle("Training images per class")
  grid = figure.subplots(NUM_CLASSES, SAMPLES_PER_CLASS)
  for label, row in enumerate(grid):
    examples = np.flatnonzero(labels == label)[:SAMPLES_PER_CLASS]
    for column, axes in enumerate(row):
      axes.set_xticks([])
      axes.set_yticks([])
      if column < len(examples):
        axes.imshow(unit_float(images[examples[column]]), cmap="gray", vmin=0, vmax=1)
      else:
        axes.set_frame_on(False)
    row[0].set_ylabel(CLASS_NAMES[label], rotation=0, ha="right", va="center")
  save_figure(figure, path)


def plot_class_distribution(train_labels, test_labels, path):
  """Horizontal bars of the images per class, train and test side by side."""
  figure = Figure(figsize=(10, 4.5), layout="constrained")
  figure.suptitle("Class distribution")
  positions = np.arange(NUM_CLASSES)
  for column, (split, labels) in enumerate((("train", train_labels), ("test", test_labels))):
    axes = figure.add_subplot(1, 2, column + 1)
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    bars = axes.barh(positions, counts, color="tab:blue" if split == "train" else "tab:orange")
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_yticks(positions, CLASS_NAMES if column == 0 else [])
    axes.invert_yaxis()
    axes.set_xlim(0, counts.max() * 1.15)
    axes.set_xlabel("images")
    axes.set_title(f"{split}: {len(labels)} images")
  save_figure(figure, path)
