"""Runs an untouched TF 1.x or TF <= 2.15 Estimator program on current TensorFlow.

    python -m estimator_cnn.legacy [--tf1 | --tf2] [--bf16] SCRIPT.py|FOLDER [its arguments]
    python -m estimator_cnn.legacy [--tf1 | --tf2] [--bf16] -m PACKAGE.MODULE [its arguments]

prepares the environment (TF_USE_LEGACY_KERAS, the patches of
estimator_cnn.legacy.compat), then runs the program as `__main__` with its
arguments as `python SCRIPT.py` or `python -m PACKAGE.MODULE` would
(estimator_cnn.legacy.program: its sys.path, `__file__`, Python's own messages;
its uncaught error's traceback starts at its own first frame), so
`tf.estimator`, `tf.compat.v1.estimator`, `import tensorflow_estimator` and
TF 2.15's `tensorflow.python.estimator` paths work in it as on TF 2.15. A
program whose own source spells TF 1.x-only names (TensorFlow's tf_upgrade_v2
tables list them) runs with the TF 1.x face (estimator_cnn.legacy.tf1_face):
`tf` is `tf.compat.v1`, in graph mode. One stderr line says which; --tf1 and
--tf2 force the choice. --bf16 (or ESTIMATOR_CNN_BF16=1) runs every session with
TensorFlow's oneDNN bfloat16 rewrite (estimator_cnn.legacy.bfloat16_sessions).
Its multiprocessing "spawn" and "forkserver" children get the same
(estimator_cnn.legacy.children).
"""

import os
import re
import sys

from estimator_cnn.base.errors import UserError
from estimator_cnn.legacy import bfloat16_sessions

USAGE = ("usage: python -m estimator_cnn.legacy [--tf1 | --tf2] [--bf16] "
         "SCRIPT.py|FOLDER [ARGS...]\n"
         "       python -m estimator_cnn.legacy [--tf1 | --tf2] [--bf16] "
         "-m PACKAGE.MODULE [ARGS...]\n"
         "--bf16, or ESTIMATOR_CNN_BF16=1: TensorFlow's oneDNN bfloat16 rewrite in every session")
_FACES = {"--tf1": "tf1", "--tf2": "tf2"}
_BF16 = "--bf16"
_MISSING_TF_NAME = re.compile(r"module 'tensorflow' has no attribute '(\w+)'")
_RUNNER_MODULES = ("runpy", "estimator_cnn.legacy")


def _parse(argv):
  """(face forced or None, script or None, module or None, the program's args) of the runner's
  argv; raises UserError for a bad command line."""
  args = argv[1:]
  faces = []
  while args and args[0] in (*_FACES, _BF16):
    option = args.pop(0)
    if option == _BF16:
      os.environ[bfloat16_sessions.ENV_VAR] = "1"  # For the program's child processes too.
    else:
      faces.append(option)
  if len(set(faces)) > 1:
    raise UserError("--tf1 and --tf2 contradict each other: give one of them, or neither to let "
                    "the runner choose from the program's source")
  forced = _FACES[faces[0]] if faces else None
  if args[:1] == ["-m"]:
    if len(args) < 2:
      raise UserError(f"-m needs a module name, as in -m trainer.task ({USAGE.splitlines()[1]})")
    return forced, None, args[1], args[2:]
  if not args:
    raise UserError(f"name the Estimator script to run ({USAGE.splitlines()[0]})")
  if not os.path.exists(args[0]):
    raise UserError(f"{args[0]} is not a file or folder: name the Estimator script to run, or -m "
                    f"PACKAGE.MODULE ({USAGE.splitlines()[0]})")
  return forced, args[0], None, args[1:]


def _take_the_current_folder_off_sys_path():
  """Removes what `python -m estimator_cnn.legacy` put first on sys.path (the current folder,
  unless -P) and returns it: the program's folder takes its place, as under python."""
  if getattr(sys.flags, "safe_path", False) or not sys.path or (
      os.path.abspath(sys.path[0] or os.curdir) != os.getcwd()):
    return None
  sys.path.pop(0)
  return os.getcwd()


def _is_the_runners(frame):
  """Whether the frame is of runpy's or the runner's modules (its own __main__ included)."""
  spec_name = getattr(frame.f_globals.get("__spec__"), "name", None)
  name = spec_name or frame.f_globals.get("__name__", "")
  return any(name == module or name.startswith(module + ".") for module in _RUNNER_MODULES)


def _print_from_the_programs_first_frame(error):
  """Prints the traceback of an error the program raised as python would: from its first frame
  on, without the runner's and runpy's frames before it."""
  traceback = error.__traceback__
  while traceback is not None and _is_the_runners(traceback.tb_frame):
    traceback = traceback.tb_next
  if traceback is not None:  # Else the error is the runner's own: all of it shows.
    error.with_traceback(traceback)  # Python's excepthook prints the error's own.
  sys.excepthook(type(error), error, error.__traceback__)


def _run(forced, script, module, args, current_folder):
  """Loads tf.estimator and the runner's modules, puts the program's folder on sys.path, picks
  the face, then runs the program as python would; returns the exit code."""
  # The runner's own imports, before the program's folder can shadow them.
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.legacy import compat
  compat.load_estimator()
  from estimator_cnn.base.tf_setup import tf
  from estimator_cnn.legacy import children
  from estimator_cnn.legacy import face_choice
  from estimator_cnn.legacy import program as program_lib
  program = program_lib.Program(script, module, current_folder)
  program.put_on_sys_path()
  face, line = face_choice.choose(program.entry(), program.root, forced)
  print(line, file=sys.stderr, flush=True)
  init_globals = face_choice.install(face, program.root)
  children.start_through_the_runner(face, program.root)
  try:
    program.run(args, init_globals)
  except UserError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    missing = _MISSING_TF_NAME.fullmatch(str(e)) if isinstance(e, AttributeError) else None
    if face == face_choice.TF2 and missing and hasattr(tf.compat.v1, missing.group(1)):
      raise UserError(f"tf.{missing.group(1)} is a TF 1.x name that TensorFlow 2 lacks "
                      "(tf.compat.v1 has it): run the program with --tf1 (python -m "
                      "estimator_cnn.legacy --tf1 ...)") from e
    _print_from_the_programs_first_frame(e)
    return 1
  return 0


def main(argv):
  """Runs the program argv names; returns an exit code (the program's own exits pass through)."""
  if len(argv) < 2 or argv[1] in ("-h", "--help"):
    print(USAGE, file=sys.stderr if len(argv) < 2 else sys.stdout)
    return 2 if len(argv) < 2 else 0
  try:
    forced, script, module, args = _parse(argv)
  except UserError as e:
    print(f"{e.prefix}{e}", file=sys.stderr)
    return 2
  try:
    return _run(forced, script, module, args, _take_the_current_folder_off_sys_path())
  except UserError as e:
    print(f"{e.prefix}{e}", file=sys.stderr)
    return e.exit_code


if __name__ == "__main__":
  sys.exit(main(sys.argv))
