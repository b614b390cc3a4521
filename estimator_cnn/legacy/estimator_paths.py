"""Every path to tf.estimator that TF 2.15 had, on TensorFlow >= 2.16, which has none.

TF 2.15 hangs the estimator's API module on each of its API modules, the nested
compat ones included (`tf.estimator`, `tf.compat.v1.estimator`,
`tf.compat.v2.compat.v1.estimator`...), and tensorflow_estimator has its own
`tensorflow_estimator.estimator`. estimator_paths.json, generated from TF 2.15 by
scripts/list_estimator_paths.py, lists every attribute path to an estimator API
module or one of its submodules (`tensorflow.compat.v1.compat.v2.estimator.export`),
with the module's `__name__`, and whether TF 2.15 imported it by that name
(`from tensorflow.estimator import Estimator`); "modules" holds each module's
public names. `install` sets the paths TensorFlow lacks to the very module of that
`__name__`, and registers the importable ones under their path in sys.modules, so
every path to one module is that one object, from the moment of the call.
"""

import functools
import importlib
import importlib.util
import json
import os
import sys
import types

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "estimator_paths.json")
_ESTIMATOR_API_PREFIXES = ("tensorflow_estimator._api.", "tensorflow_estimator.python.estimator.api.")
_TF_API_PREFIX = "tensorflow._api.v2."


def load_list(path=DATA):
  """{"paths": {path: {"module", "importable"}}, "modules": {__name__: public names}}."""
  with open(path, encoding="utf-8") as f:
    data = json.load(f)
  return {"paths": data["paths"], "modules": data["modules"]}


def resolve(path):
  """The object at a dotted attribute path such as 'tensorflow.compat.v1.estimator'."""
  top, *attributes = path.split(".")
  return functools.reduce(getattr, attributes, importlib.import_module(top))


def public_names(module):
  """The module's names that do not start with an underscore, sorted."""
  return sorted(name for name in dir(module) if not name.startswith("_"))


def _api_modules():
  """TF's API modules ('tensorflow._api.v2.compat.v1' as 'tensorflow.compat.v1') and
  tensorflow_estimator, by their path."""
  import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  import tensorflow_estimator  # pylint: disable=g-import-not-at-top
  modules = {name.replace(_TF_API_PREFIX, "tensorflow.", 1): module
             for name, module in list(sys.modules.items())
             if name == "tensorflow" or name.startswith(_TF_API_PREFIX)}
  modules["tensorflow_estimator"] = tensorflow_estimator
  return modules


def _is_estimator_api(value):
  return (isinstance(value, types.ModuleType) and  # TF 2.15's lazy loaders are modules too.
          vars(value).get("__name__", "").startswith(_ESTIMATOR_API_PREFIXES))


def _walk(path, module, paths, modules):
  """Records module (loaded by the look-ups) at path, then its submodules."""
  names = public_names(module)
  paths[path] = {"module": module.__name__}
  modules[module.__name__] = names
  for name in names:
    value = getattr(module, name)
    if isinstance(value, types.ModuleType) and value.__name__.startswith(module.__name__ + "."):
      _walk(f"{path}.{name}", value, paths, modules)


def _imported_by_name(path):
  try:
    return importlib.util.find_spec(path) is not None
  except ImportError:
    return False


def describe_installed():
  """The data load_list reads, from the installed TensorFlow 2.15 (it may import copies of
  the estimator's modules under their paths while it finds which are importable: run it
  in a process of its own)."""
  roots = sorted(f"{api_path}.{name}" for api_path, api in _api_modules().items()
                 for name, value in list(vars(getattr(api, "_tfmw_wrapped_module", api)).items())
                 if not name.startswith("_") and _is_estimator_api(value))
  paths, modules = {}, {}
  for root in roots:
    _walk(root, resolve(root), paths, modules)
  for path, description in paths.items():  # After the walk, which the copies would mislead.
    description["importable"] = _imported_by_name(path)
  return {"paths": paths, "modules": modules}


def install():
  """Sets every listed path this TensorFlow lacks to its module, and registers the paths
  TF 2.15 imported by name in sys.modules; idempotent."""
  data = load_list()
  for path in sorted(data["paths"], key=len):  # Parents first.
    description = data["paths"][path]
    module = importlib.import_module(description["module"])
    parent_path, _, name = path.rpartition(".")
    parent = resolve(parent_path)
    if getattr(parent, name, None) is not module:
      setattr(parent, name, module)
    if description["importable"]:
      sys.modules.setdefault(path, module)
