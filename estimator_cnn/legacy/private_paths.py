"""TF 2.15's private forwarding modules, on TensorFlow >= 2.16, which removed them.

Frameworks import tf.estimator through `tensorflow.python.estimator.*` and
`tensorflow.python.tpu.tpu_estimator` & co. In TF 2.15 these are modules that
forward to tensorflow_estimator. private_modules.json, generated from TF 2.15
by scripts/list_private_modules.py, lists the 36 of them, each with the
tensorflow_estimator module it forwards to and the names it takes (underscored
ones included); `install` serves them from that list, with the same objects.
"""

import ast
import importlib
import importlib.abc
import importlib.machinery
import json
import os
import pkgutil
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "private_modules.json")
_TPU_MODULES = ("tpu_estimator", "tpu_config", "tpu_context", "error_handling", "util")


def load_list(path=DATA):
  """{module name: {"forwards_to", "names", "package"}} of TF 2.15's forwarding modules."""
  with open(path, encoding="utf-8") as f:
    return json.load(f)["modules"]


def _forwarding_module_names():
  """The names of the forwarding modules of the installed TF 2.15, sorted."""
  import tensorflow.python.estimator as estimator  # pylint: disable=g-import-not-at-top
  names = ["tensorflow.python.estimator"]
  names += [info.name for info in pkgutil.walk_packages(estimator.__path__,
                                                         "tensorflow.python.estimator.")]
  names += [f"tensorflow.python.tpu.{name}" for name in _TPU_MODULES]
  return sorted(names)


def _forwarded_to(module):
  """The tensorflow_estimator module a forwarding module star-imports, or None (a package)."""
  with open(module.__file__, encoding="utf-8") as f:
    tree = ast.parse(f.read())
  for node in ast.walk(tree):
    if (isinstance(node, ast.ImportFrom) and node.module and
        node.module.startswith("tensorflow_estimator.") and
        any(alias.name == "*" for alias in node.names)):
      return node.module
  return None


def _describe(name):
  module = importlib.import_module(name)
  package = hasattr(module, "__path__")
  target_name = _forwarded_to(module)
  if target_name is None:
    return {"forwards_to": None, "names": [], "package": package}
  target = importlib.import_module(target_name)
  missing = object()
  names = sorted(attribute for attribute, value in vars(module).items()
                 if not attribute.startswith("__") and getattr(target, attribute, missing) is value)
  return {"forwards_to": target_name, "names": names, "package": package}


def describe_installed():
  """The list load_list reads, made from the installed TensorFlow 2.15's own modules."""
  return {name: _describe(name) for name in _forwarding_module_names()}


class _ForwardingLoader(importlib.abc.Loader):

  def __init__(self, description):
    self._description = description

  def create_module(self, spec):
    return None

  def exec_module(self, module):
    target_name = self._description["forwards_to"]
    module.__doc__ = f"TF 2.15's forwarding module {module.__name__}, served by estimator_cnn."
    if target_name is None:
      return
    target = importlib.import_module(target_name)
    module.__all__ = list(self._description["names"])
    for name in module.__all__:
      setattr(module, name, getattr(target, name))


class PrivatePathsFinder(importlib.abc.MetaPathFinder):
  """Finds the listed modules that this TensorFlow does not have."""

  def __init__(self, modules):
    self._modules = modules

  def find_spec(self, fullname, path, target=None):
    description = self._modules.get(fullname)
    if description is None:
      return None
    spec = importlib.machinery.ModuleSpec(fullname, _ForwardingLoader(description),
                                          is_package=description["package"])
    if description["package"]:
      spec.submodule_search_locations = []
    return spec


def install():
  """Serves the listed modules from now on where TensorFlow lacks them (appended to
  sys.meta_path, so TensorFlow's own modules win); idempotent."""
  if not any(isinstance(finder, PrivatePathsFinder) for finder in sys.meta_path):
    sys.meta_path.append(PrivatePathsFinder(load_list()))
