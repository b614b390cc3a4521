"""Runs an untouched TF 1.x or TF <= 2.15 Estimator program on current TensorFlow.

    python -m estimator_cnn.legacy [--tf1 | --tf2] SCRIPT.py [its arguments]
    python -m estimator_cnn.legacy [--tf1 | --tf2] -m PACKAGE.MODULE [its arguments]

prepares the environment (TF_USE_LEGACY_KERAS, the patches of
estimator_cnn.legacy.compat), then runs the program as `__main__` with its
arguments, as `python SCRIPT.py` or `python -m PACKAGE.MODULE` would, so
`tf.estimator`, `tf.compat.v1.estimator`, `import tensorflow_estimator` and
TF 2.15's `tensorflow.python.estimator` paths work in it as on TF 2.15. A
program whose own source spells TF 1.x-only names (TensorFlow's tf_upgrade_v2
tables list them) runs with the TF 1.x face (estimator_cnn.legacy.tf1_face):
`tf` is `tf.compat.v1`, in graph mode. One stderr line says which; --tf1 and
--tf2 force the choice.
"""

import importlib.machinery
import os
import re
import runpy
import sys

from estimator_cnn.base.errors import UserError

USAGE = ("usage: python -m estimator_cnn.legacy [--tf1 | --tf2] SCRIPT.py [ARGS...]\n"
         "       python -m estimator_cnn.legacy [--tf1 | --tf2] -m PACKAGE.MODULE [ARGS...]")
_FACES = {"--tf1": "tf1", "--tf2": "tf2"}
_MISSING_TF_NAME = re.compile(r"module 'tensorflow' has no attribute '(\w+)'")


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


def _parse(argv):
  """(face forced or None, script or None, module or None, the program's args) of the runner's
  argv; raises UserError for a bad command line."""
  args = argv[1:]
  forced = None
  while args and args[0] in _FACES:
    forced = _FACES[args.pop(0)]
  if args[:1] == ["-m"]:
    if len(args) < 2:
      raise UserError(f"-m needs a module name, as in -m trainer.task ({USAGE.splitlines()[1]})")
    return forced, None, args[1], args[2:]
  if not args:
    raise UserError(f"name the Estimator script to run ({USAGE.splitlines()[0]})")
  if not os.path.isfile(args[0]):
    raise UserError(f"{args[0]} is not a file: name the Estimator script to run, or -m "
                    f"PACKAGE.MODULE ({USAGE.splitlines()[0]})")
  return forced, args[0], None, args[1:]


def _locate(script, module):
  """(the program's folder, put first on sys.path as Python does; the file it starts in)."""
  root = os.path.dirname(os.path.abspath(script)) if script else os.getcwd()
  sys.path.insert(0, root)
  entry = script or _module_entry(module, sys.path)
  if entry is None:
    raise UserError(f"no module named {module} from {root}: run from the folder that holds its "
                    "package, or pip install it")
  return root, entry


def _run(forced, script, module, args, root, entry):
  """Loads tf.estimator, picks the face, then runs the program as Python would."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.legacy import compat
  compat.load_estimator()
  from estimator_cnn.base.tf_setup import tf
  from estimator_cnn.legacy import face_choice
  face, line = face_choice.choose(entry, root, forced)
  print(line, file=sys.stderr, flush=True)
  init_globals = None
  if face == face_choice.TF1:
    from estimator_cnn.legacy import tf1_face
    init_globals = tf1_face.install(root)
  try:
    if script:
      sys.argv = [script, *args]
      runpy.run_path(script, init_globals=init_globals, run_name="__main__")
    else:
      sys.argv = [module, *args]
      runpy.run_module(module, init_globals=init_globals, run_name="__main__", alter_sys=True)
  except AttributeError as e:
    missing = _MISSING_TF_NAME.fullmatch(str(e))
    if face == face_choice.TF2 and missing and hasattr(tf.compat.v1, missing.group(1)):
      raise UserError(f"tf.{missing.group(1)} is a TF 1.x name that TensorFlow 2 lacks "
                      "(tf.compat.v1 has it): run the program with --tf1 (python -m "
                      "estimator_cnn.legacy --tf1 ...)") from e
    raise


def main(argv):
  """Runs the program argv names; returns an exit code (the program's own exits pass through)."""
  if len(argv) < 2 or argv[1] in ("-h", "--help"):
    print(USAGE, file=sys.stderr if len(argv) < 2 else sys.stdout)
    return 2 if len(argv) < 2 else 0
  try:
    forced, script, module, args = _parse(argv)
    root, entry = _locate(script, module)
  except UserError as e:
    print(f"{e.prefix}{e}", file=sys.stderr)
    return 2
  try:
    _run(forced, script, module, args, root, entry)
  except UserError as e:
    print(f"{e.prefix}{e}", file=sys.stderr)
    return e.exit_code
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
