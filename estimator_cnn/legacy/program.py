"""The program the runner runs, found and run as `python` finds and runs it.

- `python script.py`: the script's folder first on sys.path, `__file__`
  absolute, `sys.argv[0]` as given, `__spec__` None;
- `python folder` (or a zip) with `__main__.py`: the folder first on sys.path,
  its `__main__` run with the `__spec__` Python gives it;
- `python -m package.module`: the current folder first on sys.path (none with
  `-P`), the module found by Python's own lookup (runpy's), `sys.argv[0]` its
  file; Python's own message when there is nothing to run.
The program's module is `__main__`, and `__mp_main__` as multiprocessing aliases
it, and stays so after it ends, as under python.
"""

import importlib.machinery
import io
import os
import pkgutil
import runpy
import sys
import types

from estimator_cnn.base.errors import UserError


class NotRunnable(UserError):
  """Nothing to run where python finds nothing either: Python's own line, as it prints it."""
  prefix = f"{sys.executable}: "


def _module_entry(module, search_path):
  """The file `python -m module` runs (a package's __main__.py), found without importing."""
  spec, locations = None, search_path
  for end in range(1, module.count(".") + 2):
    spec = importlib.machinery.PathFinder.find_spec(".".join(module.split(".")[:end]), locations)
    if spec is None:
      return None
    locations = spec.submodule_search_locations
  if locations:  # A package: its __main__.
    spec = importlib.machinery.PathFinder.find_spec(f"{module}.__main__", locations)
  return spec.origin if spec is not None and spec.has_location else None


def _execute(code, run_name, init_globals, **attributes):
  """Runs code as the main module run_name; returns its globals."""
  module = types.ModuleType(run_name)
  module.__dict__.update(attributes)
  module.__dict__.update(init_globals or {})
  sys.modules["__main__"] = sys.modules["__mp_main__"] = module
  exec(code, module.__dict__)  # pylint: disable=exec-used
  return module.__dict__


def run_file(path, run_name, init_globals=None):
  """Runs the script at path as python runs `python path`; returns its globals."""
  path = os.path.join(os.getcwd(), path)  # Python's `__file__`: absolute, not normalized.
  with io.open_code(path) as f:
    code = compile(f.read(), path, "exec")
  return _execute(code, run_name, init_globals, __file__=path, __cached__=None,
                  __loader__=importlib.machinery.SourceFileLoader(run_name, path))


def _run_spec(spec, code, run_name, init_globals):
  return _execute(code, run_name, init_globals, __file__=spec.origin, __cached__=spec.cached,
                  __loader__=spec.loader, __package__=spec.parent, __spec__=spec)


def run_module(module, run_name, init_globals=None):
  """Runs module as `python -m module` does (its packages imported first); returns its
  globals. Raises NotRunnable with Python's own message when there is none to run."""
  _, spec, code = runpy._get_module_details(module, NotRunnable)  # pylint: disable=protected-access
  if run_name == "__main__":
    sys.argv[0] = spec.origin
  return _run_spec(spec, code, run_name, init_globals)


class Program:
  """A script, a folder or zip with `__main__.py` (path), or a module (`-m`): where Python looks
  for its modules, and the file it starts in."""

  def __init__(self, path=None, module=None, current_folder=None):
    """current_folder: what `python -m` puts first on sys.path (None: nothing, as with -P)."""
    self.path, self.module = path, module
    if module:
      self.folder = current_folder
      self.root = os.getcwd()
    elif self._holds_main():
      self.folder = self.root = os.path.join(os.getcwd(), path)  # As Python has it.
    else:
      self.folder = self.root = os.path.dirname(os.path.realpath(path))
    self._main_spec = None

  def _holds_main(self):
    """Whether path is a folder or zip, where python looks for `__main__` (runpy's test)."""
    return self.path is not None and pkgutil.get_importer(self.path) is not None

  def put_on_sys_path(self):
    """Puts the program's folder first on sys.path, as python does."""
    if self.folder is not None:
      sys.path.insert(0, self.folder)

  def entry(self):
    """The file the program starts in. Raises NotRunnable, with Python's message, when there is
    none: the program's folder must be on sys.path (a module's packages may be imported)."""
    if self.module:
      found = _module_entry(self.module, sys.path)
      # Where it is not found so, Python's own lookup raises its message.
      # pylint: disable-next=protected-access
      return found or runpy._get_module_details(self.module, NotRunnable)[1].origin
    if not self._holds_main():
      return os.path.abspath(self.path)
    self._main_spec = importlib.machinery.PathFinder.find_spec("__main__", [self.folder])
    if self._main_spec is None:
      raise NotRunnable(f"can't find '__main__' module in {self.folder!r}")
    return self._main_spec.origin

  def run(self, args, init_globals=None):
    """Runs the program as `__main__` with sys.argv its arguments, as python does."""
    sys.argv = [self.module or self.path, *args]
    if self.module:
      run_module(self.module, "__main__", init_globals)
    elif self._main_spec is not None:
      _run_spec(self._main_spec, self._main_spec.loader.get_code("__main__"), "__main__",
                init_globals)
    else:
      run_file(self.path, "__main__", init_globals)
