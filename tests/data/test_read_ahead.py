"""Reading the dataset ahead: in another thread inside reading(), the same arrays and errors."""

import os
import threading

import numpy as np
import pytest

from estimator_cnn.base.errors import DataError
from estimator_cnn.data import idx_csv
from estimator_cnn.data import read_ahead
from tests import idx_fixtures


def _recording_readers(monkeypatch):
  """Makes idx_csv.load_fashion_mnist record the thread that runs it; returns the record."""
  readers = []
  load = idx_csv.load_fashion_mnist

  def recording_load(data_dir):
    readers.append(threading.current_thread())
    return load(data_dir)

  monkeypatch.setattr(idx_csv, "load_fashion_mnist", recording_load)
  return readers


def test_inside_reading_the_dataset_is_read_once_in_another_thread(tmp_path, monkeypatch):
  data_dir = str(idx_fixtures.write_fixture_dataset(tmp_path / "data", 30, 20))
  readers = _recording_readers(monkeypatch)
  with read_ahead.reading(data_dir):
    first, second = read_ahead.load(data_dir), read_ahead.load(data_dir)
  assert len(readers) == 1 and readers[0] is not threading.current_thread()
  assert second is first
  expected = idx_csv.load_fashion_mnist(data_dir)
  for name in ("train_images", "train_labels", "test_images", "test_labels"):
    np.testing.assert_array_equal(getattr(first, name), getattr(expected, name))


def test_outside_reading_load_reads_the_files_as_they_are_now(tmp_path, monkeypatch):
  data_dir = str(idx_fixtures.write_fixture_dataset(tmp_path / "data", 30, 20))
  with read_ahead.reading(data_dir):
    assert len(read_ahead.load(data_dir).train_labels) == 30
  idx_fixtures.write_fixture_dataset(data_dir, 40, 20)
  readers = _recording_readers(monkeypatch)
  assert len(read_ahead.load(data_dir).train_labels) == 40
  assert readers == [threading.current_thread()]


def test_a_read_error_is_raised_by_load_not_by_reading(tmp_path):
  data_dir = str(idx_fixtures.write_fixture_dataset(tmp_path / "data", 30, 20))
  os.remove(os.path.join(data_dir, idx_csv.IDX_FILES["test_labels"]))
  with read_ahead.reading(data_dir):
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz"):
      read_ahead.load(data_dir)
