"""Writes estimator_cnn/legacy/private_modules.json from TensorFlow 2.15, which still ships them.

    .venv-legacy/bin/python scripts/list_private_modules.py [OUTPUT.json]

TF 2.15 forwards `tensorflow.python.estimator.**` and five
`tensorflow.python.tpu` modules to tensorflow_estimator; 2.16 removed them.
For each such module this records the tensorflow_estimator module it forwards
to and the names it takes from it (its `__all__` and the underscored names it
imports one by one), which estimator_cnn.legacy.private_paths serves on
TensorFlow >= 2.16.
"""

import ast
import importlib
import json
import os
import pkgutil
import sys

TPU_MODULES = ("tpu_estimator", "tpu_config", "tpu_context", "error_handling", "util")
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "estimator_cnn", "legacy", "private_modules.json")


def forwarding_modules():
  """The names of TF 2.15's forwarding modules, sorted."""
  import tensorflow.python.estimator as estimator  # pylint: disable=g-import-not-at-top
  names = ["tensorflow.python.estimator"]
  names += [info.name for info in pkgutil.walk_packages(estimator.__path__,
                                                         "tensorflow.python.estimator.")]
  names += [f"tensorflow.python.tpu.{name}" for name in TPU_MODULES]
  return sorted(names)


def forwarded_to(module):
  """The tensorflow_estimator module a forwarding module star-imports, or None (a package)."""
  with open(module.__file__, encoding="utf-8") as f:
    tree = ast.parse(f.read())
  for node in ast.walk(tree):
    if (isinstance(node, ast.ImportFrom) and node.module and
        node.module.startswith("tensorflow_estimator.") and
        any(alias.name == "*" for alias in node.names)):
      return node.module
  return None


def describe(name):
  module = importlib.import_module(name)
  target_name = forwarded_to(module)
  if target_name is None:
    return {"forwards_to": None, "names": [], "package": hasattr(module, "__path__")}
  target = importlib.import_module(target_name)
  missing = object()
  names = sorted(attribute for attribute, value in vars(module).items()
                 if not attribute.startswith("__") and getattr(target, attribute, missing) is value)
  return {"forwards_to": target_name, "names": names, "package": hasattr(module, "__path__")}


def main(argv):
  import tensorflow  # pylint: disable=g-import-not-at-top
  output = argv[1] if len(argv) > 1 else DEFAULT_OUTPUT
  modules = {name: describe(name) for name in forwarding_modules()}
  with open(output, "w", encoding="utf-8") as f:
    json.dump({"tensorflow": tensorflow.__version__, "modules": modules}, f, indent=1,
              sort_keys=True)
    f.write("\n")
  print(f"{len(modules)} modules from TensorFlow {tensorflow.__version__} -> {output}")


if __name__ == "__main__":
  main(sys.argv)
