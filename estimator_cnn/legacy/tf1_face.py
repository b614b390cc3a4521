"""The TF 1.x face: TensorFlow as a TF 1.15 program saw it, for a script's own modules only.

In the modules it covers, `import tensorflow as tf` (and `from tensorflow import
x`) yields TensorFlow's own `tf.compat.v1` API plus the `tf.contrib` names
TensorFlow's tf_upgrade_v2 tables map to plain renames, and those whose calls its
converter rewrites (`tf.contrib.layers.xavier_initializer`: each call is run as
the converter rewrites it); any other `tf.contrib` name stops the program with
one line naming it and its replacement. The
modules covered are the script and the modules found under its folder (or the
package of a `-m` module); TensorFlow, tf-keras and every installed library
keep importing the real `tensorflow`. Each covered module gets its own
`__builtins__` whose `__import__` does this, so nothing process-wide changes
but `disable_v2_behavior`, which a TF 1.x program expects (graph mode).
"""

import builtins
import importlib.abc
import importlib.machinery
import os
import sys
import sysconfig
import types

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import upgrade_tables

# The runner's own package is never a script's module.
_NOT_OWN = ("estimator_cnn",)


class ContribRemoved(UserError):
  """A tf.contrib name that TF 2 removed and no table maps."""


def _contrib_error(name):
  replacement = upgrade_tables.contrib_replacement(name)
  instead = f"use {replacement}" if replacement else "it has no replacement in TensorFlow 2"
  return ContribRemoved(f"{name} was removed with tf.contrib in TensorFlow 2.0 and the TF 1.x "
                        f"face cannot give it: {instead} (docs/legacy.md lists the tf.contrib names "
                        "it gives)")


class _Contrib(types.ModuleType):
  """`tf.contrib` and its submodules: each name the tables rename, each call the converter
  rewrites (converted by it), else ContribRemoved."""

  def __init__(self, path):
    super().__init__(path, f"{path} as TF 1.x had it, from tf_upgrade_v2's renames.")

  def __getattr__(self, attribute):
    if attribute.startswith("__"):
      raise AttributeError(attribute)
    name = f"{self.__name__}.{attribute}"
    renames = upgrade_tables.contrib_renames()
    converted = upgrade_tables.converted_call(name, lambda: _contrib_error(name))
    if name in renames:
      value = upgrade_tables.resolve(renames[name])
      if value is None:
        raise _contrib_error(name)
    elif converted is not None:
      value = converted
    elif any(old.startswith(name + ".") for old in (*renames, *upgrade_tables.converted_names())):
      value = _Contrib(name)
    else:
      raise _contrib_error(name)
    setattr(self, attribute, value)
    return value


class _Face(types.ModuleType):
  """`tensorflow` for a TF 1.x program: tf.compat.v1, with `contrib`."""

  def __init__(self):
    super().__init__("tensorflow", tf.compat.v1.__doc__)
    self.contrib = _Contrib(upgrade_tables.CONTRIB)
    self.__version__ = tf.__version__

  def __getattr__(self, attribute):
    return getattr(tf.compat.v1, attribute)

  def __dir__(self):
    return sorted(set(dir(tf.compat.v1)) | {"contrib"})


FACE = _Face()


def _face_import(name, globals=None, locals=None, fromlist=(), level=0):  # pylint: disable=redefined-builtin
  """__import__ for covered modules: `tensorflow` is the face, `tensorflow.contrib...` its
  contrib, every other import the usual one."""
  if level or not (name == "tensorflow" or name.startswith("tensorflow.")):
    return builtins.__import__(name, globals, locals, fromlist, level)
  if name == "tensorflow.contrib" or name.startswith("tensorflow.contrib."):
    contrib = upgrade_tables.resolve("tf" + name[len("tensorflow"):], FACE)
    if contrib is None:
      raise _contrib_error("tf" + name[len("tensorflow"):])
    return contrib if fromlist else FACE
  if name == "tensorflow":
    return FACE
  module = builtins.__import__(name, globals, locals, fromlist, level)
  if fromlist:
    return module
  # `import tensorflow.x.y` binds `tensorflow`: the face where it has x.y, else the real one.
  on_face = upgrade_tables.resolve("tf" + name[len("tensorflow"):], FACE)
  return FACE if on_face is not None else sys.modules["tensorflow"]


FACE_BUILTINS = dict(vars(builtins), __import__=_face_import)


def _installed_paths():
  paths = {sys.prefix, sys.base_prefix, sys.exec_prefix}
  paths.update(value for key, value in sysconfig.get_paths().items()
               if key in ("stdlib", "platstdlib", "purelib", "platlib"))
  return tuple(os.path.join(os.path.realpath(path), "") for path in paths)


class _FacedLoader(importlib.machinery.SourceFileLoader):
  """Loads a module with the face's builtins."""

  def exec_module(self, module):
    module.__builtins__ = FACE_BUILTINS
    super().exec_module(module)


class OwnModulesFinder(importlib.abc.MetaPathFinder):
  """Finds the modules under root (not installed ones) and loads them with the face."""

  def __init__(self, root):
    self._root = os.path.join(os.path.realpath(root), "")
    self._installed = _installed_paths()

  def find_spec(self, fullname, path, target=None):
    if fullname.split(".")[0] in _NOT_OWN:
      return None
    spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
    if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
      return None
    origin = os.path.realpath(spec.origin)
    if not origin.startswith(self._root) or origin.startswith(self._installed):
      return None
    spec.loader = _FacedLoader(fullname, spec.origin)
    return spec


def install(root):
  """Gives the modules under root the face from now on and turns TF 2 behaviour off; returns
  the globals a script run with runpy needs (`init_globals`)."""
  tf.compat.v1.disable_v2_behavior()
  sys.meta_path.insert(0, OwnModulesFinder(root))
  return {"__builtins__": FACE_BUILTINS}
