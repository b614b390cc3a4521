"""The Fashion-MNIST loaders: IDX and CSV files, the folders searched, every damage named."""

import os

import numpy as np
import pytest

from estimator_cnn.data import idx_csv
from estimator_cnn.base.errors import DataError
from tests import idx_fixtures

REAL_DATA_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def no_machine_data(tmp_path, monkeypatch):
  """Hides the machine's Keras cache and Debian folder from every test."""
  monkeypatch.setenv("HOME", str(tmp_path / "home"))
  monkeypatch.setattr(idx_csv, "DEBIAN_DATA_DIR", str(tmp_path / "debian"))


@pytest.fixture
def fixture_dir(tmp_path):
  return idx_fixtures.write_fixture_dataset(tmp_path / "fixture")


def _path(directory, key):
  return os.path.join(directory, idx_csv.IDX_FILES[key])


def test_write_idx_read_idx_round_trip(tmp_path):
  array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  for name in ("array.idx", "array.idx.gz"):
    idx_csv.write_idx(tmp_path / name, array)
    np.testing.assert_array_equal(idx_csv.read_idx(tmp_path / name), array)


def test_unit_float_scales_pixels_and_keeps_float_images():
  pixels = np.array([[0, 51, 255]], np.uint8)
  np.testing.assert_array_equal(idx_csv.unit_float(pixels), np.float32([[0.0, 0.2, 1.0]]))
  assert idx_csv.unit_float(pixels).dtype == np.float32
  floats = np.array([[0.0, 0.5]], np.float64)
  assert idx_csv.unit_float(floats).dtype == np.float32
  np.testing.assert_array_equal(idx_csv.unit_float(floats), floats)


def test_load_fixture(fixture_dir):
  dataset = idx_csv.load_fashion_mnist(fixture_dir)
  assert dataset.train_images.shape == (200, 28, 28)
  assert dataset.test_images.shape == (100, 28, 28)
  assert dataset.train_images.dtype == np.uint8
  assert dataset.train_labels.shape == (200,)
  assert dataset.train_labels.dtype == np.int32
  np.testing.assert_array_equal(np.bincount(dataset.train_labels), [20] * 10)
  images, labels = idx_fixtures.make_images(200, seed=0)
  np.testing.assert_array_equal(dataset.train_images, images)
  np.testing.assert_array_equal(dataset.train_labels, labels)
  assert dataset.source == fixture_dir


def test_fixture_is_deterministic():
  first, second = (idx_fixtures.make_images(50, seed=3) for _ in range(2))
  np.testing.assert_array_equal(first[0], second[0])
  np.testing.assert_array_equal(first[1], second[1])


def test_explicit_data_dir_comes_first(fixture_dir):
  idx_fixtures.write_fixture_dataset(idx_csv.keras_cache_dir())
  assert idx_csv.find_data_dir(fixture_dir) == fixture_dir


def test_keras_cache_before_debian_dir(tmp_path):
  assert idx_csv.keras_cache_dir() == str(
      tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist")
  idx_fixtures.write_fixture_dataset(idx_csv.keras_cache_dir())
  idx_fixtures.write_fixture_dataset(idx_csv.DEBIAN_DATA_DIR)
  assert idx_csv.find_data_dir() == idx_csv.keras_cache_dir()


def test_debian_dir_when_no_keras_cache():
  idx_fixtures.write_fixture_dataset(idx_csv.DEBIAN_DATA_DIR)
  assert idx_csv.find_data_dir() == idx_csv.DEBIAN_DATA_DIR
  assert idx_csv.load_fashion_mnist().source == idx_csv.DEBIAN_DATA_DIR


def test_incomplete_keras_cache_is_skipped():
  idx_fixtures.write_fixture_dataset(idx_csv.keras_cache_dir())
  os.remove(_path(idx_csv.keras_cache_dir(), "test_labels"))
  idx_fixtures.write_fixture_dataset(idx_csv.DEBIAN_DATA_DIR)
  assert idx_csv.find_data_dir() == idx_csv.DEBIAN_DATA_DIR


def test_no_data_anywhere():
  with pytest.raises(DataError) as error:
    idx_csv.find_data_dir()
  message = str(error.value)
  assert "\n" not in message
  assert "apt-get install dataset-fashion-mnist" in message
  assert "--data_dir" in message
  assert idx_csv.keras_cache_dir() in message
  assert idx_csv.DEBIAN_DATA_DIR in message


def test_explicit_data_dir_does_not_exist(tmp_path):
  missing = str(tmp_path / "nowhere")
  with pytest.raises(DataError, match="nowhere.*does not exist"):
    idx_csv.find_data_dir(missing)


def test_explicit_data_dir_missing_files_no_fallback(fixture_dir):
  idx_fixtures.write_fixture_dataset(idx_csv.DEBIAN_DATA_DIR)
  os.remove(_path(fixture_dir, "train_labels"))
  with pytest.raises(DataError) as error:
    idx_csv.find_data_dir(fixture_dir)
  message = str(error.value)
  assert "missing train-labels-idx1-ubyte.gz;" in message
  assert fixture_dir in message


def test_explicit_data_dir_missing_csv(tmp_path):
  directory = idx_fixtures.write_fixture_csv(tmp_path / "csv")
  os.remove(os.path.join(directory, idx_csv.CSV_FILES["test"]))
  with pytest.raises(DataError, match="missing fashion-mnist_test.csv;"):
    idx_csv.find_data_dir(directory)


def test_truncated_gzip(fixture_dir):
  path = _path(fixture_dir, "train_images")
  with open(path, "rb") as f:
    content = f.read()
  with open(path, "wb") as f:
    f.write(content[:len(content) // 2])
  with pytest.raises(DataError, match="not a valid gzip file or is truncated"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_corrupt_gzip_bytes(fixture_dir):
  path = _path(fixture_dir, "train_labels")
  with open(path, "wb") as f:
    f.write(b"this is not gzip data")
  with pytest.raises(DataError, match="not a valid gzip file") as error:
    idx_csv.load_fashion_mnist(fixture_dir)
  assert path in str(error.value)


def test_truncated_idx_payload(fixture_dir):
  path = _path(fixture_dir, "test_images")
  idx_fixtures.rewrite_decompressed(path, lambda content: content[:-100])
  with pytest.raises(DataError, match="is truncated: its header declares"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_trailing_bytes(fixture_dir):
  path = _path(fixture_dir, "test_labels")
  idx_fixtures.rewrite_decompressed(path, lambda content: content + b"\0\0")
  with pytest.raises(DataError, match="2 unexpected bytes"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_wrong_magic(fixture_dir):
  path = _path(fixture_dir, "train_images")
  idx_fixtures.rewrite_decompressed(path, lambda content: b"\x12\x34" + content[2:])
  with pytest.raises(DataError, match="magic number is 0x12340803") as error:
    idx_csv.load_fashion_mnist(fixture_dir)
  assert path in str(error.value)


def test_labels_file_in_place_of_images(fixture_dir):
  path = _path(fixture_dir, "train_images")
  idx_csv.write_idx(path, np.zeros(200, np.uint8))
  with pytest.raises(DataError, match="0x00000801, expected 0x00000803"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_label_out_of_range(fixture_dir):
  path = _path(fixture_dir, "test_labels")
  labels = idx_csv.read_idx(path).copy()
  labels[7] = 12
  idx_csv.write_idx(path, labels)
  with pytest.raises(DataError, match="holds label 12, expected 0..9"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_image_label_count_mismatch(fixture_dir):
  path = _path(fixture_dir, "train_labels")
  idx_csv.write_idx(path, idx_csv.read_idx(path)[:150])
  with pytest.raises(DataError, match="200 images but .* 150 labels"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_images_not_28x28(fixture_dir):
  idx_csv.write_idx(_path(fixture_dir, "test_images"),
                 np.zeros((100, 32, 32), np.uint8))
  with pytest.raises(DataError, match="32x32 images, expected 28x28"):
    idx_csv.load_fashion_mnist(fixture_dir)


def test_sha256_checked_for_full_size_files(tmp_path):
  directory = idx_fixtures.write_fixture_dataset(tmp_path / "fake",
                                                 num_test=10000)
  with pytest.raises(DataError, match="wrong SHA-256.*not Fashion-MNIST"):
    idx_csv.load_fashion_mnist(directory)


def test_csv_happy_path(tmp_path):
  directory = idx_fixtures.write_fixture_csv(tmp_path / "csv")
  dataset = idx_csv.load_fashion_mnist(directory)
  expected = idx_csv.load_fashion_mnist(
      idx_fixtures.write_fixture_dataset(tmp_path / "idx"))
  for name in ("train_images", "train_labels", "test_images", "test_labels"):
    actual_array = getattr(dataset, name)
    expected_array = getattr(expected, name)
    assert actual_array.dtype == expected_array.dtype
    np.testing.assert_array_equal(actual_array, expected_array)


def test_idx_preferred_over_csv(tmp_path):
  directory = idx_fixtures.write_fixture_csv(tmp_path / "both", num_train=30)
  idx_fixtures.write_fixture_dataset(directory, num_train=50)
  assert len(idx_csv.load_fashion_mnist(directory).train_images) == 50


def _write_csv(tmp_path, lines):
  path = str(tmp_path / "bad.csv")
  with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
  return path


def _csv_lines(num_rows):
  header = "label," + ",".join(f"pixel{i}" for i in range(1, 785))
  return [header] + [",".join(["3"] + ["0"] * 784)] * num_rows


def test_csv_wrong_column_count(tmp_path):
  lines = _csv_lines(4)
  lines[3] += ",0"
  path = _write_csv(tmp_path, lines)
  with pytest.raises(DataError, match="line 4 has 786 columns, expected 785"):
    idx_csv.read_csv(path)


def test_csv_same_wrong_column_count_on_every_line(tmp_path):
  lines = [line.rsplit(",", 1)[0] for line in _csv_lines(3)]
  path = _write_csv(tmp_path, lines)
  with pytest.raises(DataError, match="line 2 has 784 columns"):
    idx_csv.read_csv(path)


def test_csv_non_numeric_cell(tmp_path):
  lines = _csv_lines(3)
  lines[2] = lines[2].replace("3,0,0", "3,0,x", 1)
  path = _write_csv(tmp_path, lines)
  with pytest.raises(DataError) as error:
    idx_csv.read_csv(path)
  assert str(error.value) == (
      f"{path} line 3 column 3 holds 'x', expected an integer")


def test_csv_missing_header(tmp_path):
  path = _write_csv(tmp_path, _csv_lines(3)[1:])
  with pytest.raises(DataError, match="has no header row"):
    idx_csv.read_csv(path)


def test_csv_header_without_label_names_the_column_it_has(tmp_path):
  lines = _csv_lines(3)
  lines[0] = lines[0].replace("label", "class", 1)
  with pytest.raises(DataError) as error:
    idx_csv.read_csv(_write_csv(tmp_path, lines))
  assert str(error.value).startswith(f"{tmp_path}") and (
      "has no 'label' column first: its header starts with 'class', expected "
      "'label,pixel1,...,pixel784'" in str(error.value))


def test_csv_pixel_out_of_range(tmp_path):
  lines = _csv_lines(3)
  lines[3] = lines[3].replace("3,0", "3,256", 1)
  with pytest.raises(DataError, match="line 4 holds pixel value 256"):
    idx_csv.read_csv(_write_csv(tmp_path, lines))


def test_csv_label_out_of_range(tmp_path):
  lines = _csv_lines(3)
  lines[2] = "10" + lines[2][1:]
  with pytest.raises(DataError, match="label 10 on line 3, expected 0..9"):
    idx_csv.read_csv(_write_csv(tmp_path, lines))


@pytest.mark.skipif(not os.path.isdir(REAL_DATA_DIR),
                    reason="Fashion-MNIST is not installed")
def test_real_data():
  dataset = idx_csv.load_fashion_mnist(REAL_DATA_DIR)
  assert dataset.train_images.shape == (60000, 28, 28)
  assert dataset.test_images.shape == (10000, 28, 28)
  np.testing.assert_array_equal(np.bincount(dataset.train_labels), [6000] * 10)
  np.testing.assert_array_equal(np.bincount(dataset.test_labels), [1000] * 10)
