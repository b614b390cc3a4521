"""Writes estimator_cnn/legacy/estimator_paths.json from TensorFlow 2.15, which still has the paths.

    .venv-legacy/bin/python scripts/list_estimator_paths.py

TF 2.15 reaches the estimator from each of its API modules, the nested compat
ones included, and from tensorflow_estimator; 2.16 removed TensorFlow's. The
file records every path to an estimator API module or submodule, its module's
`__name__` and public names, and whether TF 2.15 imported it by name
(estimator_cnn.legacy.estimator_paths serves them on TensorFlow >= 2.16;
tests/legacy/test_estimator_paths.py checks them on every stack).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# pylint: disable=g-import-not-at-top,wrong-import-position
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import estimator_paths

if __name__ == "__main__":
  data = estimator_paths.describe_installed()
  with open(estimator_paths.DATA, "w", encoding="utf-8") as f:
    json.dump({"tensorflow": tf.__version__, **data}, f, indent=1, sort_keys=True)
    f.write("\n")
  print(f"{len(data['paths'])} paths to {len(data['modules'])} modules from TensorFlow "
        f"{tf.__version__} -> {estimator_paths.DATA}")
