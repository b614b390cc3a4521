"""`python -m estimator_cnn.legacy PROGRAM` runs the program as `python PROGRAM` does: the same
sys.path, `__file__`, argv and `__spec__`, folders with `__main__.py`, Python's own messages, the
traceback from the program's first frame, and multiprocessing spawn and forkserver children
with the parent's face; from the checkout (PYTHONPATH) and installed (pip, no PYTHONPATH)."""

import json
import os
import shutil
import subprocess
import zipfile

import pytest

from estimator_cnn.base import stacks as stacks_lib
from tests import stacks

pytestmark = stacks.made_by_the_current_run

RUNNER = ["-m", "estimator_cnn.legacy"]
PROGRAMS_DIR = stacks.REPO_ROOT / "tests" / "fixtures" / "tf1_programs"
TIMEOUT_SECS = 600
FACE_LINE = "estimator_cnn.legacy: "
# Where it is, and what `python` gives it; it chdirs away, then reads data.txt beside itself.
PROBE = '''
import json, os, sys
path, file = list(sys.path), __file__
os.chdir(os.path.dirname(os.getcwd()))
data_file = os.path.join(os.path.dirname(file), "data.txt")
data = open(data_file).read() if os.path.isfile(data_file) else None  # None in a zip.
print(json.dumps({"sys_path": path, "file": file, "argv": sys.argv, "data": data,
                  "spec": getattr(__spec__, "name", None), "package": __package__}))
'''
FAILING = '''
def fail():
  raise ValueError("the program's own error")


fail()
'''
# Files the package needs to install (setup.py's).
PACKAGE_FILES = ("setup.py", "README.md", "estimator_cnn", "flags")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
  """The python of a new virtualenv where estimator_cnn is pip-installed (from a copy of the
  checkout) and the current stack's packages are on the path."""
  venv = tmp_path_factory.mktemp("venv")
  source = tmp_path_factory.mktemp("source")
  for name in PACKAGE_FILES:
    copy = shutil.copytree if (stacks.REPO_ROOT / name).is_dir() else shutil.copy
    copy(stacks.REPO_ROOT / name, source / name)
  current = stacks.python_of(stacks.CURRENT)
  subprocess.run([current, "-m", "venv", venv], check=True, timeout=TIMEOUT_SECS)
  python = str(venv / "bin" / "python")
  site_packages = subprocess.run(
      [current, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
      check=True, capture_output=True, text=True).stdout.strip()
  venv_site_packages = subprocess.run(
      [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
      check=True, capture_output=True, text=True).stdout.strip()
  with open(os.path.join(venv_site_packages, "current_stack.pth"), "w") as f:
    f.write(site_packages + "\n")
  subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", source], check=True,
                 capture_output=True, timeout=TIMEOUT_SECS)
  return python


@pytest.fixture
def where(request):
  """(python, environment) that runs the runner from the checkout (PYTHONPATH), or installed
  for the tests parametrized with where="installed" (each runner run loads TensorFlow: the
  cases installed are the ones where the two can differ, sys.path and the children)."""
  env = stacks_lib.subprocess_env()
  if getattr(request, "param", "checkout") == "checkout":
    return stacks.python_of(stacks.CURRENT), env
  env.pop("PYTHONPATH")
  return request.getfixturevalue("installed"), env


def run(where, args, cwd):
  """Runs `python *args` from cwd; returns the CompletedProcess."""
  python, env = where
  return subprocess.run([python, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                        text=True, timeout=TIMEOUT_SECS, check=False)


def describe(result):
  return stacks.describe(result.args, result.returncode, result.stdout, result.stderr)


def last_json(result):
  assert result.returncode == 0, describe(result)
  return json.loads(result.stdout.strip().splitlines()[-1])


def without_face_line(stderr):
  """stderr after the runner's line saying which face the program got, and TensorFlow's logs."""
  return stderr[stderr.index("Traceback"):] if "Traceback" in stderr else stderr.splitlines()[-1]


@pytest.fixture
def programs(tmp_path):
  """A folder `work` (the current folder) holding a tensorflow.py that is not TensorFlow, and
  `progs` beside it: the probe as a script, a folder with __main__.py, a module and a package's
  __main__, each with data.txt, and a zip with __main__.py; a package without __main__, an
  empty folder, a failing script."""
  work, progs = tmp_path / "work", tmp_path / "progs"
  work.mkdir()
  (work / "tensorflow.py").write_text("raise SystemExit('not TensorFlow')\n")
  for folder in (progs, progs / "app", progs / "pkg", progs / "empty", progs / "no_main"):
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text(f"beside {folder.name}")
  (progs / "probe.py").write_text(PROBE)
  (progs / "app" / "__main__.py").write_text(PROBE)
  (progs / "pkg" / "__init__.py").write_text("")
  (progs / "pkg" / "__main__.py").write_text(PROBE)
  (progs / "pkg" / "mod.py").write_text(PROBE)
  (progs / "no_main" / "__init__.py").write_text("")
  (progs / "failing.py").write_text(FAILING)
  with zipfile.ZipFile(progs / "app.zip", "w") as archive:
    archive.writestr("__main__.py", PROBE)
  return work, progs


PROBES = [(["../progs/probe.py", "an arg"], "work"),  # tensorflow.py in the current folder.
          (["../progs/app", "an arg"], "work"),
          (["-m", "pkg.mod", "an arg"], "progs"),
          (["-m", "pkg", "an arg"], "progs"),
          (["app.zip", "an arg"], "progs")]


@pytest.mark.parametrize("where,program,cwd", [
    ("installed", *PROBES[0]), *(("checkout", *probe) for probe in PROBES)], indirect=["where"])
def test_program_sees_what_python_gives_it(where, programs, program, cwd):
  """sys.path (the script's folder, not the current one, first), `__file__` (absolute: the
  program reads data.txt beside itself after a chdir), argv, `__spec__`, `__package__`: all as
  python gives them, and a tensorflow.py in the current folder shadows nothing."""
  cwd = programs[0] if cwd == "work" else programs[1]
  through_runner = run(where, [*RUNNER, *program], cwd)
  assert last_json(through_runner) == last_json(run(where, program, cwd)), describe(through_runner)
  assert "Traceback" not in through_runner.stderr, describe(through_runner)


def test_script_named_tensorflow_runs_as_python_runs_it(where, tmp_path):
  (tmp_path / "tensorflow.py").write_text("import sys\nprint('ran', sys.argv[1:])\n")
  result = run(where, [*RUNNER, "tensorflow.py", "x"], tmp_path)
  assert result.returncode == 0 and result.stdout == "ran ['x']\n", describe(result)


@pytest.mark.parametrize("program", [["-m", "no_main"], ["-m", "no_such.module"], ["empty"],
                                     ["failing.py"]])
def test_what_cannot_run_or_fails_prints_what_python_prints(where, programs, program):
  """Python's own line for a package without __main__, a missing module, a folder without
  __main__.py; a program's uncaught error: its traceback from its own first frame on."""
  progs = programs[1]
  through_runner = run(where, [*RUNNER, *program], progs)
  by_python = run(where, program, progs)
  assert through_runner.returncode == by_python.returncode == 1, describe(through_runner)
  assert without_face_line(through_runner.stderr) == without_face_line(by_python.stderr), (
      describe(through_runner))


def test_conflicting_face_flags_are_one_line():
  result = stacks.run(stacks.CURRENT, [*RUNNER, "--tf1", "--tf2", "any.py"], check=False)
  assert result.returncode == 2, describe(result)
  assert result.stderr.startswith("error: --tf1 and --tf2") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("where,program", [
    ("checkout", ["spawn_pool.py"]), ("checkout", ["-m", "pool_trainer"]),
    ("installed", ["spawn_pool.py"])], indirect=["where"])
def test_spawn_and_forkserver_children_get_the_parents_tf1_face(where, program):
  """A TF 1.x program's pool children (spawn and forkserver; a script and a `-m` package) call
  its functions with tf.logging and graph mode, as the parent has them."""
  result = run(where, [*RUNNER, *program], PROGRAMS_DIR)
  seen = last_json(result)
  assert seen and all(child == {"has_tf_logging": True, "executing_eagerly": False}
                      for children in seen.values() for child in children), describe(result)
  assert "Traceback" not in result.stderr, describe(result)
  face_lines = [line for line in result.stderr.splitlines() if line.startswith(FACE_LINE)]
  assert len(face_lines) == 1 and "as a TF 1.x program" in face_lines[0], describe(result)


def test_spawn_children_find_the_runner_run_from_its_checkout(tmp_path):
  """Run from the checkout's folder without PYTHONPATH, a script elsewhere: its folder replaces
  the checkout on sys.path, yet the children still start through the runner."""
  shutil.copy(PROGRAMS_DIR / "spawn_pool.py", tmp_path)
  env = stacks_lib.subprocess_env()
  env.pop("PYTHONPATH")
  result = run((stacks.python_of(stacks.CURRENT), env), [*RUNNER, tmp_path / "spawn_pool.py"],
               stacks.REPO_ROOT)
  assert all(child["has_tf_logging"] for children in last_json(result).values()
             for child in children), describe(result)
