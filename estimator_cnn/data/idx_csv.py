"""Finds, reads and checks the Fashion-MNIST data (IDX or Kaggle CSV files).

Only numpy and the standard library are used, so this module loads fast.
"""

import gzip
import hashlib
import math
import os
import typing
import zlib

import numpy as np

from estimator_cnn.base.errors import DataError
from estimator_cnn.base.fashion_mnist import IMAGE_SIZE, NUM_CLASSES

DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
CSV_FILES = {
    "train": "fashion-mnist_train.csv",
    "test": "fashion-mnist_test.csv",
}

# SHA-256 of the decompressed IDX files; Debian re-gzipped them, so the .gz
# hashes differ from upstream while the content is the same.
_IDX_SHA256 = {
    "train_images":
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train_labels":
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "test_images":
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "test_labels":
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# Example counts of the real dataset; files with these counts are hashed.
_FULL_COUNTS = {"train": 60000, "test": 10000}

_IDX_TYPE_UNSIGNED_BYTE = 0x08
_CSV_COLUMNS = 1 + IMAGE_SIZE * IMAGE_SIZE
_QUOTED_CHARS = 40  # The most of a file's text an error message quotes.

_HOW_TO_GET_DATA = (
    "install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' "
    f"(Debian puts the files in {DEBIAN_DATA_DIR}) or pass --data_dir pointing "
    f"at a folder with the four IDX files ({', '.join(IDX_FILES.values())}) "
    f"or Kaggle's CSV files ({' and '.join(CSV_FILES.values())})")


class FashionMNIST(typing.NamedTuple):
  """The train and test splits; images uint8 pixels (N, 28, 28) in 0..255, labels int32.

  Pixels stay uint8 (a quarter of float32's memory); the model scales them to [0, 1]
  (model_fn.unit_range) and unit_float does it in numpy.
  """
  train_images: np.ndarray
  train_labels: np.ndarray
  test_images: np.ndarray
  test_labels: np.ndarray
  source: str


def keras_cache_dir():
  """Returns the folder where Keras caches Fashion-MNIST downloads."""
  return os.path.expanduser("~/.keras/datasets/fashion-mnist")


def _read_bytes(path):
  """Returns the content of `path`, decompressed if it ends with .gz."""
  try:
    with open(path, "rb") as f:
      content = f.read()
  except OSError as e:
    raise DataError(f"cannot read {path}: {e.strerror}") from e
  if not path.endswith(".gz"):
    return content
  try:
    return gzip.decompress(content)
  except (EOFError, zlib.error, OSError) as e:  # OSError covers BadGzipFile.
    raise DataError(
        f"{path} is not a valid gzip file or is truncated ({e}); "
        "re-install or re-download it") from e


def _parse_idx(content, path):
  """Parses IDX `content` (read from `path`) into a read-only uint8 array."""
  if (len(content) < 4 or content[:2] != b"\0\0" or
      content[2] != _IDX_TYPE_UNSIGNED_BYTE or content[3] == 0):
    raise DataError(
        f"{path} is not an IDX file of unsigned bytes: its magic number is "
        f"0x{content[:4].hex()}, expected 0x00000801 (labels) or 0x00000803 "
        "(images); check that it is a Fashion-MNIST file")
  num_dims = content[3]
  header_size = 4 + 4 * num_dims
  if len(content) < header_size:
    raise DataError(f"{path} is truncated inside its IDX header; "
                    "re-install or re-download it")
  shape = tuple(
      int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big")
      for i in range(num_dims))
  declared_size = header_size + math.prod(shape)
  if len(content) < declared_size:
    raise DataError(
        f"{path} is truncated: its header declares shape {shape} "
        f"({declared_size} bytes) but it holds only {len(content)} bytes; "
        "re-install or re-download it")
  if len(content) > declared_size:
    raise DataError(
        f"{path} has {len(content) - declared_size} unexpected bytes after "
        f"the data declared by its header (shape {shape}); "
        "re-install or re-download it")
  return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape)


def read_idx(path):
  """Reads an IDX file of unsigned bytes (plain or .gz) as a uint8 array.

  The returned array is read-only; copy it to modify it.
  """
  path = os.fspath(path)
  return _parse_idx(_read_bytes(path), path)


def write_idx(path, array):
  """Writes `array` as an IDX file of unsigned bytes, gzipped if .gz."""
  path = os.fspath(path)
  array = np.asarray(array)
  if array.dtype != np.uint8:
    raise ValueError(f"write_idx needs a uint8 array, got {array.dtype}")
  header = bytes([0, 0, _IDX_TYPE_UNSIGNED_BYTE, array.ndim]) + b"".join(
      int(size).to_bytes(4, "big") for size in array.shape)
  content = header + np.ascontiguousarray(array).tobytes()
  if path.endswith(".gz"):
    content = gzip.compress(content, compresslevel=6)
  with open(path, "wb") as f:
    f.write(content)


def _load_idx_file(directory, key):
  """Reads and checks one of the IDX_FILES; returns the uint8 array."""
  path = os.path.join(directory, IDX_FILES[key])
  content = _read_bytes(path)
  array = _parse_idx(content, path)
  kind = "images" if key.endswith("images") else "labels"
  num_dims = 3 if kind == "images" else 1
  if array.ndim != num_dims:
    raise DataError(
        f"{path} has IDX magic number 0x{content[:4].hex()}, expected "
        f"0x{0x800 + num_dims:08x} for {kind} ({num_dims} dims); "
        "check that it is the right Fashion-MNIST file")
  if kind == "images" and array.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
    raise DataError(
        f"{path} holds {array.shape[1]}x{array.shape[2]} images, expected "
        f"{IMAGE_SIZE}x{IMAGE_SIZE}; check that it is a Fashion-MNIST file")
  split = key.split("_")[0]
  if (len(array) == _FULL_COUNTS[split] and
      hashlib.sha256(content).hexdigest() != _IDX_SHA256[key]):
    raise DataError(
        f"{path} has the wrong SHA-256: it is corrupt or not Fashion-MNIST "
        "(e.g. MNIST digits); re-install or re-download it")
  return array


def _check_labels(labels, source, first_line=None):
  """Raises DataError if a label is outside 0..9.

  Args:
    labels: integer array of labels.
    source: file path for the message.
    first_line: CSV line number of labels[0], to name the bad line.
  """
  bad = np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))
  if bad.size:
    where = f" on line {first_line + bad[0]}" if first_line else ""
    raise DataError(
        f"{source} holds label {labels[bad[0]]}{where}, expected 0.."
        f"{NUM_CLASSES - 1}; check that it is a Fashion-MNIST file")


def _load_idx_split(directory, split):
  """Returns (images uint8, labels int32) of one IDX split."""
  images = _load_idx_file(directory, f"{split}_images")
  labels = _load_idx_file(directory, f"{split}_labels")
  images_path = os.path.join(directory, IDX_FILES[f"{split}_images"])
  labels_path = os.path.join(directory, IDX_FILES[f"{split}_labels"])
  if len(images) != len(labels):
    raise DataError(
        f"{images_path} holds {len(images)} images but {labels_path} holds "
        f"{len(labels)} labels; both files must come from the same dataset")
  _check_labels(labels, labels_path)
  if not len(images):
    raise DataError(f"{images_path} holds 0 images: re-install or re-download it, or pass "
                    "--data_dir with a folder whose files hold images")
  return images, labels.astype(np.int32)


def unit_float(images):
  """Images as float32 in [0, 1]: uint8 pixels (0..255) scaled, float images as they are."""
  if images.dtype != np.uint8:
    return np.asarray(images, np.float32)
  scaled = images.astype(np.float32)
  scaled /= 255
  return scaled


def with_unit_float_images(dataset):
  """The dataset with float32 images in [0, 1], as plain Keras and PyTorch programs hold them."""
  return dataset._replace(train_images=unit_float(dataset.train_images),
                          test_images=unit_float(dataset.test_images))


def _quoted(text):
  """repr of text, cut to its first _QUOTED_CHARS characters."""
  return repr(text[:_QUOTED_CHARS]) + ("..." if len(text) > _QUOTED_CHARS else "")


def _describe_csv_error(path, lines):
  """Returns a message naming the first malformed data line of a CSV file.

  Args:
    path: the CSV file, for the message.
    lines: its lines, header included.
  """
  for line_number, line in enumerate(lines[1:], start=2):
    if not line.strip():
      continue
    cells = line.split(",")
    if len(cells) != _CSV_COLUMNS:
      return (f"{path} line {line_number} has {len(cells)} columns, expected "
              f"{_CSV_COLUMNS} (label and {_CSV_COLUMNS - 1} pixels)")
    for column, cell in enumerate(cells, start=1):
      try:
        int(cell)
      except ValueError:
        return (f"{path} line {line_number} column {column} holds "
                f"{_quoted(cell.strip())}, expected an integer")
  return (f"{path} is not a valid Fashion-MNIST CSV file: expected "
          f"{_CSV_COLUMNS} integers per line (label and pixels 0..255)")


def read_csv(path):
  """Reads a Kaggle Fashion-MNIST CSV ("label,pixel1..pixel784").

  Args:
    path: the CSV file.

  Returns:
    (images uint8 (N, 28, 28) in 0..255, labels int32 (N,)).
  """
  path = os.fspath(path)
  try:
    with open(path, encoding="utf-8-sig") as f:
      lines = f.read().split("\n")
  except (OSError, UnicodeDecodeError) as e:
    raise DataError(f"cannot read {path} as a text CSV file: {e}") from e
  header = [cell.strip().strip('"') for cell in lines[0].split(",")]
  if header[0] != "label":
    expected = (f"'label,pixel1,...,pixel{_CSV_COLUMNS - 1}' as in Kaggle's Fashion-MNIST "
                "CSV files")
    if all(cell.lstrip("-").isdigit() for cell in header if cell):
      raise DataError(f"{path} has no header row: expected the first line to be {expected}")
    separator = " (';' separates its fields: save it with ',')" if ";" in lines[0] else ""
    raise DataError(f"{path} has no 'label' column first{separator}: its header starts with "
                    f"{_quoted(header[0])}, expected {expected}")
  if not any(line.strip() for line in lines[1:]):
    raise DataError(f"{path} has a header but no data rows: re-download it, or pass --data_dir "
                    "with a folder whose files hold images")
  try:
    table = np.loadtxt(lines[1:], delimiter=",", dtype=np.int32, ndmin=2)
  except ValueError:
    raise DataError(_describe_csv_error(path, lines)) from None
  if table.shape[1] != _CSV_COLUMNS:
    raise DataError(_describe_csv_error(path, lines))
  labels, pixels = table[:, 0], table[:, 1:]
  _check_labels(labels, path, first_line=2)
  bad_rows = np.flatnonzero(((pixels < 0) | (pixels > 255)).any(axis=1))
  if bad_rows.size:
    row = pixels[bad_rows[0]]
    value = row[(row < 0) | (row > 255)][0]
    raise DataError(f"{path} line {bad_rows[0] + 2} holds pixel value {value},"
                    " expected 0..255")
  images = pixels.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8)
  return images, labels.astype(np.int32)


def _absent(directory, names):
  """Returns the `names` that are not files in `directory`."""
  return [name for name in names
          if not os.path.isfile(os.path.join(directory, name))]


def _missing_files(directory):
  """Returns the data files missing in `directory`, or [] if it is complete.

  The IDX files are named unless some CSV file is there and no IDX file is.
  """
  missing_idx = _absent(directory, IDX_FILES.values())
  missing_csv = _absent(directory, CSV_FILES.values())
  if not missing_idx or not missing_csv:
    return []
  if len(missing_csv) < len(CSV_FILES) and len(missing_idx) == len(IDX_FILES):
    return missing_csv
  return missing_idx


def find_data_dir(data_dir=None):
  """Returns the first folder that holds the Fashion-MNIST data.

  Args:
    data_dir: folder given by the user; if set, no other folder is searched.
      Otherwise keras_cache_dir() then DEBIAN_DATA_DIR are searched.

  Raises:
    DataError: if no folder holds all four IDX files or both CSV files.
  """
  if data_dir:
    data_dir = os.path.expanduser(os.fspath(data_dir))
    if not os.path.isdir(data_dir):
      raise DataError(f"data folder {data_dir} does not exist or is not a "
                      f"folder; {_HOW_TO_GET_DATA}")
    missing = _missing_files(data_dir)
    if missing:
      raise DataError(f"data folder {data_dir} is missing {', '.join(missing)};"
                      f" {_HOW_TO_GET_DATA}")
    return data_dir
  candidates = [keras_cache_dir(), DEBIAN_DATA_DIR]
  for candidate in candidates:
    if os.path.isdir(candidate) and not _missing_files(candidate):
      return candidate
  raise DataError(f"Fashion-MNIST data not found in {' or '.join(candidates)};"
                  f" {_HOW_TO_GET_DATA}")


def load_fashion_mnist(data_dir=None):
  """Finds (see find_data_dir), reads and checks Fashion-MNIST.

  IDX files are preferred over CSV files when a folder holds both.
  """
  directory = find_data_dir(data_dir)
  if not _absent(directory, IDX_FILES.values()):
    train = _load_idx_split(directory, "train")
    test = _load_idx_split(directory, "test")
  else:
    train = read_csv(os.path.join(directory, CSV_FILES["train"]))
    test = read_csv(os.path.join(directory, CSV_FILES["test"]))
  return FashionMNIST(train[0], train[1], test[0], test[1], source=directory)
