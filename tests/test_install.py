"""`pip install .` adds estimator_cnn and the estimator-cnn command, nothing else: the wheel's
top-level names, and the installed command run from outside the checkout as run.py runs."""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from estimator_cnn.base import stacks as stacks_lib
from tests import idx_fixtures
from tests import stacks

pytestmark = [stacks.made_by_the_current_run,
              pytest.mark.skipif(not all(map(importlib.util.find_spec, ("setuptools", "wheel"))),
                                 reason="building a wheel needs setuptools and wheel")]

PACKAGE = "estimator_cnn"
COMMAND = "estimator-cnn"
# What setup.py reads; estimator_cnn/flags is a link to ../flags, copied as a link.
SOURCE_FILES = ("setup.py", "README.md", "estimator_cnn", "flags")
TIMEOUT_SECS = 300


def _run(command, **kwargs):
  """Runs command; fails the test with its output unless it exits 0."""
  done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECS, **kwargs)
  assert done.returncode == 0, stacks.describe(command, done.returncode, done.stdout, done.stderr)
  return done


def _site_packages(python):
  return _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
              ).stdout.strip()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  """The wheel pip builds from a copy of the checkout, without the network."""
  source = tmp_path_factory.mktemp("source")
  for name in SOURCE_FILES:
    path = stacks.REPO_ROOT / name
    if path.is_dir():
      shutil.copytree(path, source / name, symlinks=True,
                      ignore=shutil.ignore_patterns("__pycache__"))
    else:
      shutil.copy(path, source / name)
  dist = tmp_path_factory.mktemp("dist")
  _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", dist, source])
  (path,) = dist.glob("*.whl")
  return path


def test_the_wheel_holds_estimator_cnn_with_flags_inside_and_the_command(wheel):
  with zipfile.ZipFile(wheel) as archive:
    (record,) = [name for name in archive.namelist() if name.endswith(".dist-info/RECORD")]
    files = [row.split(",")[0] for row in archive.read(record).decode().splitlines()]
    entry_points = archive.read(record.replace("RECORD", "entry_points.txt")).decode()
  dist_info = record.split("/")[0]
  assert {name.split("/")[0] for name in files} == {PACKAGE, dist_info}
  assert {"estimator_cnn/__main__.py", "estimator_cnn/flags/core.py",
          "estimator_cnn/flags/studies.py"} <= set(files)
  assert f"{COMMAND} = estimator_cnn.__main__:entry_point" in entry_points.splitlines()


def test_installed_it_adds_only_estimator_cnn_and_inspects_as_run_py_does(wheel, tmp_path):
  """Installed with --no-deps into a new virtualenv that sees the current stack's packages."""
  venv = tmp_path / "venv"
  _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv])
  python = str(venv / "bin" / "python")
  site_packages = _site_packages(python)
  # A venv made from a venv's Python sees the base Python's packages: the current stack's too.
  with open(os.path.join(site_packages, "current_stack.pth"), "w") as f:
    f.write(sysconfig.get_paths()["purelib"] + "\n")
  before = set(os.listdir(site_packages))
  _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
  added = set(os.listdir(site_packages)) - before
  assert {name for name in added if not name.endswith(".dist-info")} == {PACKAGE}, added

  data_dir = idx_fixtures.write_fixture_dataset(str(tmp_path / "data"), 30, 20)
  outside = tmp_path / "elsewhere"
  outside.mkdir()
  env = stacks_lib.subprocess_env()
  env.pop("PYTHONPATH")
  inspect = ["--mode=inspect", f"--data_dir={data_dir}", "--report_dir=report"]
  installed = _run([str(venv / "bin" / COMMAND), *inspect], cwd=outside, env=env)
  script = _run([sys.executable, str(stacks.REPO_ROOT / "run.py"), *inspect], cwd=tmp_path,
                env=stacks_lib.subprocess_env())
  assert (installed.stdout, installed.stderr) == (script.stdout, script.stderr)
  assert sorted(os.listdir(outside / "report")) == ["class_distribution.png",
                                                    "samples_per_class.png"]
