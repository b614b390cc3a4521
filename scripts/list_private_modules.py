"""Writes estimator_cnn/legacy/private_modules.json from TensorFlow 2.15, which still ships them.

    .venv-legacy/bin/python scripts/list_private_modules.py

TF 2.15 forwards `tensorflow.python.estimator.**` and five
`tensorflow.python.tpu` modules to tensorflow_estimator; 2.16 removed them.
The file records, for each, the tensorflow_estimator module it forwards to and
the names it takes from it (estimator_cnn.legacy.private_paths serves them on
TensorFlow >= 2.16; tests/legacy/test_private_paths.py checks it on TF 2.15).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# pylint: disable=g-import-not-at-top,wrong-import-position
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import private_paths

if __name__ == "__main__":
  modules = private_paths.describe_installed()
  with open(private_paths.DATA, "w", encoding="utf-8") as f:
    json.dump({"tensorflow": tf.__version__, "modules": modules}, f, indent=1, sort_keys=True)
    f.write("\n")
  print(f"{len(modules)} modules from TensorFlow {tf.__version__} -> {private_paths.DATA}")
