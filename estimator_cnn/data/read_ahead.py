"""Fashion-MNIST read in a thread while TensorFlow imports, taken where it is used.

Reading the dataset (mostly gunzipping it) takes about a third of a second and
releases the GIL; importing TensorFlow takes seconds. A mode that reads the
dataset starts reading inside `reading(data_dir)` before its module imports
TensorFlow (app.main, the benchmark's worker), and `load(data_dir)` takes what
was read: the same arrays as idx_csv.load_fashion_mnist, and its errors, raised
where load is called. Outside such a block load reads the files itself.
"""

import concurrent.futures
import contextlib

from estimator_cnn.data import idx_csv

_reads = {}  # data_dir: the future of its dataset, while a reading() block runs.


@contextlib.contextmanager
def reading(data_dir):
  """Reads data_dir's dataset (None: idx_csv.find_data_dir's search) in a thread for load()."""
  with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
    _reads[data_dir] = executor.submit(idx_csv.load_fashion_mnist, data_dir)
    try:
      yield
    finally:
      _reads.pop(data_dir, None)


def load(data_dir):
  """data_dir's dataset: the one reading() read, once it is read, else read now."""
  read = _reads.get(data_dir)
  return read.result() if read else idx_csv.load_fashion_mnist(data_dir)
