"""--mode=inspect: the data overview's PNGs. No TensorFlow, so it needs neither tf-keras nor
tf.estimator."""

import os

from estimator_cnn.app.one_line import stops_in_one_line
from estimator_cnn.base import atomic_writes
from estimator_cnn.base import path_checks
from estimator_cnn.data import idx_csv
from estimator_cnn.report import data_overview


def inspect_dataset(settings):
  """Writes sample images per class and the class distribution of both splits as PNGs."""
  report_dir = settings.report_dir or data_overview.DEFAULT_REPORT_DIR
  path_checks.check_writable_folder(report_dir, "report_dir")
  dataset = idx_csv.load_fashion_mnist(settings.data_dir)
  print(f"{len(dataset.train_labels)} training and {len(dataset.test_labels)} test images "
        f"from {dataset.source}")
  with (stops_in_one_line(report_dir, "report_dir", "the files there are kept"),
        atomic_writes.folder_written_atomically(report_dir) as staging):
    written = data_overview.write_data_overview(staging, dataset)
  paths = [os.path.join(report_dir, os.path.basename(path)) for path in written]
  print("\n".join(paths))
  return paths
