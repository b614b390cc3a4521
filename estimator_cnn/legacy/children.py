"""multiprocessing's "spawn" and "forkserver" children get the face their parent program has.

Such a child is a fresh Python that re-imports the program's main module (as
`__mp_main__`) before it unpickles its work: multiprocessing.spawn.prepare does
it from the preparation data its parent sends (`init_main_from_path` or
`init_main_from_name`). Left alone, it would re-import it without the runner:
no tf.estimator, no TF 1.x face. So the parent's preparation data names
estimator_cnn.legacy.spawned_main as the module to re-import instead, and gives
it the face, the program's folder and the stdlib's own choice of main as a last
`sys.argv` item; that module gives the child the face, then re-imports the
program's main as the stdlib would have, and becomes it. Its own children go
the same way. ("fork" children are copies of the parent and need nothing.)
"""

import importlib.machinery
import json
import multiprocessing.spawn
import os
import sys

from estimator_cnn.legacy import face_choice
from estimator_cnn.legacy import program

_STDLIB_PREPARATION_DATA = multiprocessing.spawn.get_preparation_data
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")
_SPAWNED_MAIN = "estimator_cnn.legacy.spawned_main"
# The folder that holds estimator_cnn, for a child whose sys.path lacks it (the runner found it
# in the current folder, which python does not give a script).
_RUNNER_FOLDER = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_through_the_runner(face, root):
  """From now on, the spawn and forkserver children of this process start with the face
  (face_choice.TF1 or TF2) for the modules under root."""

  def preparation_data(name):
    data = _STDLIB_PREPARATION_DATA(name)
    main = next(([key, data.pop(key)] for key in _MAIN_KEYS if key in data), None)
    launch = {"face": face, "root": root, "main": main}
    data["sys_argv"] = [*data["sys_argv"], json.dumps(launch)]
    data["init_main_from_name"] = _SPAWNED_MAIN
    if importlib.machinery.PathFinder.find_spec("estimator_cnn", data["sys_path"]) is None:
      data["sys_path"] = [*data["sys_path"], _RUNNER_FOLDER]
    return data

  multiprocessing.spawn.get_preparation_data = preparation_data


def become_the_programs_main(main_globals):
  """In a child, run as its `__mp_main__` (main_globals): gives the child its parent's face,
  re-imports the program's main as multiprocessing.spawn would have, and makes main_globals
  that module's."""
  launch = json.loads(sys.argv.pop())
  init_globals = face_choice.install(launch["face"], launch["root"])
  start_through_the_runner(launch["face"], launch["root"])
  key, main = launch["main"] or (None, None)
  programs = {}
  if key == "init_main_from_path":
    programs = program.run_file(main, "__mp_main__", init_globals)
  # multiprocessing.spawn._fixup_main_from_name's rule: a `__main__` runs its "main only" code
  # unconditionally, so it is not re-imported.
  elif key == "init_main_from_name" and main != "__main__" and not main.endswith(".__main__"):
    programs = program.run_module(main, "__mp_main__", init_globals)
  main_globals.clear()
  main_globals.update(programs)
