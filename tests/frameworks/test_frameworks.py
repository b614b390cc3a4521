"""Real frameworks built on tf.estimator, installed from the registry as docs/legacy.md tells users
(requirements-frameworks.txt, requirements-frameworks-nodeps.txt), run unedited on TF 2.21 through the runner and through the
one import, each compared with the same command on TF 2.15 (the frameworks-legacy stack): a program
on a framework's documented API or its own example (tests/fixtures/framework_programs) prints the
same JSON; a framework's own tests, shipped in its wheel, run, pass and skip the same.

The TF 2.21 runs use this Python: the module runs where the frameworks are installed (the pytest
of `make test-frameworks`, scripts/test_frameworks.sh) and skips in one line anywhere else.
"""

import concurrent.futures
import importlib.metadata
import json
import re
import sys

import pytest

from estimator_cnn.base import stacks as stacks_lib
from tests import stacks

REQUIREMENTS = [stacks.REPO_ROOT / "requirements-frameworks.txt",
                stacks.REPO_ROOT / "requirements-frameworks-nodeps.txt"]
FRAMEWORK_MARK = "# framework"
PROGRAMS_DIR = stacks.REPO_ROOT / "tests" / "fixtures" / "framework_programs"
MODEL_DIR = object()  # In a case's arguments: a fresh model_dir for the run.
# Each case's arguments after the runner's (`python -m estimator_cnn.legacy`), run from PROGRAMS_DIR.
CASES = {
    "tensorflow-ranking": ["ranking_groupwise.py", MODEL_DIR],
    "deepctr": ["deepctr_pandas_strings.py", MODEL_DIR],
    "adanet": ["adanet_simple_dnn.py", MODEL_DIR],
    "nsl-adversarial-tests": ["-m", "neural_structured_learning.estimator.adversarial_regularization_test"],
    "nsl-graph-tests": ["-m", "neural_structured_learning.estimator.graph_regularization_test"],
}
# The one import, then the program or `-m` module as Python would run it.
ONE_IMPORT_LAUNCHER = """from estimator_cnn import estimator
import runpy, sys
if sys.argv[1] == "-m":
  sys.argv = sys.argv[2:]
  runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
  sys.argv = sys.argv[1:]
  runpy.run_path(sys.argv[0], run_name="__main__")
"""
WAYS = {"runner": ["-m", "estimator_cnn.legacy"], "one import": ["-c", ONE_IMPORT_LAUNCHER]}
PARALLEL_RUNS = 2
TIMEOUT_SECS = 900  # Each run takes seconds on a quiet machine; minutes where others share its cores.
# Float32 sums may round in another order on another TensorFlow (deepctr's loss: 1e-7 apart).
RELATIVE_TOLERANCE = 1e-6
UNITTEST_SUMMARY = re.compile(r"^(Ran \d+ tests?|OK.*|FAILED.*)$", re.MULTILINE)


def _pinned_frameworks():
  """The names of REQUIREMENTS' lines marked FRAMEWORK_MARK."""
  lines = [line for path in REQUIREMENTS for line in path.read_text().splitlines()]
  return [line.split("==")[0] for line in lines if line.endswith(FRAMEWORK_MARK)]


def _not_installed(names):
  missing = []
  for name in names:
    try:
      importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      missing.append(name)
  return missing


_MISSING = _not_installed(_pinned_frameworks())
if _MISSING:
  pytest.skip(f"{', '.join(_MISSING)} not installed in this Python: make test-frameworks runs "
              "tests/frameworks", allow_module_level=True)


class Run:
  """A case's run: its exit code, and what it printed that must match across stacks: the JSON of
  a program's last stdout line (TensorFlow's version left out), or the unittest summary of a test
  module; None if neither."""

  def __init__(self, command, result):
    self.returncode = result.returncode
    self.details = stacks.describe(command, result.returncode, result.stdout, result.stderr)
    lines = result.stdout.strip().splitlines()
    try:
      self.result = json.loads(lines[-1])
      self.result.pop("tf_version")
    except (IndexError, ValueError, KeyError, AttributeError):
      self.result = UNITTEST_SUMMARY.findall(result.stderr) or None


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  """{(case, way, stack): Run} for every case, way, and TF 2.21 (this Python) or TF 2.15."""
  pythons = {"TF 2.21": sys.executable, "TF 2.15": stacks.python_of(stacks_lib.FRAMEWORKS_LEGACY)}

  def command(case, way):
    # Here, not in the pool's threads: tmp_path_factory is not thread-safe (its first mktemp
    # creates the session's base folder, and two at once can leave a thread another's).
    args = [tmp_path_factory.mktemp("model") if arg is MODEL_DIR else arg for arg in CASES[case]]
    return [*WAYS[way], *map(str, args)]

  def run(command, stack):
    result = stacks.run_python(pythons[stack], stack, command, check=False, cwd=PROGRAMS_DIR,
                               timeout=TIMEOUT_SECS)
    return Run(command, result)

  keys = [(case, way, stack) for case in CASES for way in WAYS for stack in pythons]
  commands = {key: command(*key[:2]) for key in keys}
  with concurrent.futures.ThreadPoolExecutor(PARALLEL_RUNS) as pool:
    futures = {key: pool.submit(run, commands[key], key[2]) for key in keys}
    return {key: future.result() for key, future in futures.items()}


def _same(result, reference):
  """Whether result equals reference, floats to within RELATIVE_TOLERANCE."""
  if isinstance(reference, float):
    return result == pytest.approx(reference, rel=RELATIVE_TOLERANCE)
  if isinstance(reference, dict):
    return result.keys() == reference.keys() and all(_same(result[k], reference[k]) for k in reference)
  return result == reference


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", CASES)
def test_runs_on_tf215(runs, case, way):
  run = runs[case, way, "TF 2.15"]
  assert run.returncode == 0 and run.result, run.details


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", CASES)
def test_tf221_gives_what_tf215_gives(runs, case, way):
  run, reference = runs[case, way, "TF 2.21"], runs[case, way, "TF 2.15"]
  assert run.returncode == 0, run.details
  assert _same(run.result, reference.result), run.details
