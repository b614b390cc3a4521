"""TF 1.x Estimator programs, as their authors wrote them, run through the runner: trained on the
current stack, then predicting from the same checkpoint on TF 2.15 through the same runner.

The programs (tests/fixtures/tf1_programs) cover one API group each: tf.layers with a tf.train
optimizer and tf.logging; tf.app.flags and tf.app.run; placeholders fed to a tf.Session;
queue-based input; a canned Estimator on tf.feature_column; tf.contrib names; a `-m` trainer
package with a sibling module; a framework-style package on TF 2.15's private paths.
The current stack's pytest run makes these subprocess runs; the legacy stack's would repeat them.
"""

import concurrent.futures
import json

import pytest

from estimator_cnn.base.tf_setup import major_minor
from tests import stacks

pytestmark = stacks.made_by_the_current_run

PROGRAMS_DIR = stacks.REPO_ROOT / "tests" / "fixtures" / "tf1_programs"
RUNNER = ["-m", "estimator_cnn.legacy"]
STEPS = 20
PARALLEL_RUNS = 2
TIMEOUT_SECS = 900  # Each run takes seconds on a quiet machine; minutes where others share its cores.
FACE_LINE = "estimator_cnn.legacy: "
TF1_FACE = "as a TF 1.x program"


def _args(name, model_dir, steps):
  """The program's command line after the runner's."""
  return {
      "layers_optimizer_logging": ["layers_optimizer_logging.py", "--model_dir", model_dir,
                                   "--steps", steps],
      "app_flags": ["app_flags.py", "--model_dir", model_dir, "--steps", steps],
      "session_placeholders": ["session_placeholders.py", model_dir, steps],
      "queue_input": ["queue_input.py", model_dir, steps],
      "canned_feature_columns": ["canned_feature_columns.py", model_dir, steps],
      "contrib_names": ["contrib_names.py", model_dir, steps],
      "trainer_module": ["-m", "trainer.task", "--model_dir", model_dir, "--steps", steps],
      "framework_private_paths": ["train_minirec.py", model_dir, steps],
  }[name]


TF1_PROGRAMS = ("layers_optimizer_logging", "app_flags", "session_placeholders", "queue_input",
                "canned_feature_columns", "contrib_names", "trainer_module")
PROGRAMS = (*TF1_PROGRAMS, "framework_private_paths")


class Run:
  """A program's run: exit code, stderr, and the JSON of its last stdout line (None if none)."""

  def __init__(self, command, result):
    self.returncode, self.stderr = result.returncode, result.stderr
    self.details = stacks.describe(command, result.returncode, result.stdout, result.stderr)
    lines = result.stdout.strip().splitlines()
    try:
      self.output = json.loads(lines[-1]) if lines else None
    except ValueError:
      self.output = None

  def face_lines(self):
    return [line for line in self.stderr.splitlines() if line.startswith(FACE_LINE)]


def _run_all(stack, commands):
  """Runs {key: runner arguments} on the stack from PROGRAMS_DIR, PARALLEL_RUNS at a time."""

  def run(args):
    args = [*RUNNER, *map(str, args)]
    return Run(args, stacks.run(stack, args, check=False, cwd=PROGRAMS_DIR, timeout=TIMEOUT_SECS))

  with concurrent.futures.ThreadPoolExecutor(PARALLEL_RUNS) as pool:
    futures = {key: pool.submit(run, args) for key, args in commands.items()}
    return {key: future.result() for key, future in futures.items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  """{"current"|"legacy": {program: Run}}: each program trained STEPS steps on the current stack
  (plus contrib_names with --removed, and a TF 1.x program forced to TF 2 with --tf2), then predicting from that checkpoint on TF 2.15
  (framework_private_paths with --tf1 there)."""
  stacks.python_of(stacks.LEGACY)
  model_dirs = {name: tmp_path_factory.mktemp(name) for name in PROGRAMS}
  current = {name: _args(name, model_dirs[name], STEPS) for name in PROGRAMS}
  current["contrib_removed"] = [*_args("contrib_names", tmp_path_factory.mktemp("removed"), 1),
                                "--removed"]
  current["forced_tf2"] = ["--tf2", *_args("layers_optimizer_logging",
                                           tmp_path_factory.mktemp("forced"), 1)]
  legacy = {name: _args(name, model_dirs[name], 0) for name in PROGRAMS}
  legacy["framework_private_paths"] = ["--tf1", *legacy["framework_private_paths"]]
  return {"current": _run_all(stacks.CURRENT, current), "legacy": _run_all(stacks.LEGACY, legacy)}


@pytest.mark.parametrize("name", TF1_PROGRAMS)
def test_tf1_program_trains_on_current_tensorflow_with_the_tf1_face(runs, name):
  run = runs["current"][name]
  assert run.returncode == 0 and run.output, run.details
  assert len(run.face_lines()) == 1 and TF1_FACE in run.face_lines()[0], run.details
  assert run.output["global_step"] == STEPS, run.details
  assert run.output["executing_eagerly"] is False, run.details
  assert "Traceback" not in run.stderr, run.details


@pytest.mark.parametrize("name", PROGRAMS)
def test_tf215_predicts_the_same_classes_from_the_checkpoint(runs, name):
  trained, predicted = runs["current"][name], runs["legacy"][name]
  assert trained.returncode == 0 and trained.output, trained.details
  assert predicted.returncode == 0 and predicted.output, predicted.details
  assert major_minor(predicted.output["tf_version"]) == (2, 15), predicted.details
  assert predicted.output["global_step"] == STEPS, predicted.details
  assert predicted.output["predicted_classes"] == trained.output["predicted_classes"]
  assert predicted.face_lines() and (TF1_FACE in predicted.face_lines()[0]) == (
      name in TF1_PROGRAMS or name == "framework_private_paths"), predicted.details


def test_app_flags_reach_the_program(runs):
  run = runs["current"]["app_flags"]
  assert run.output["flags_model_dir"].endswith("app_flags0"), run.details


def test_module_runs_as_python_m_runs_it_with_its_sibling_module(runs):
  output = runs["current"]["trainer_module"].output
  assert output["argv0"] == str(PROGRAMS_DIR / "trainer" / "task.py")
  assert output["spec_name"] == "trainer.task"
  assert output["model_module"] == "trainer.model"


def test_contrib_names_the_tables_rename_work(runs):
  run = runs["current"]["contrib_names"]
  assert run.output["checkpoint"].endswith(f"model.ckpt-{STEPS}"), run.details


def test_a_removed_contrib_name_is_one_line_naming_its_replacement(runs):
  run = runs["current"]["contrib_removed"]
  assert run.returncode == 1, run.details
  errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
  assert errors == [run.stderr.strip().splitlines()[-1]], run.details
  assert "tf.contrib.layers.layer_norm" in errors[0] and "tf_slim" in errors[0], run.details
  assert "Traceback" not in run.stderr, run.details


def test_a_tf2_program_keeps_tensorflow_2(runs):
  run = runs["current"]["framework_private_paths"]
  assert run.returncode == 0 and run.output, run.details
  assert "no TF 1.x-only name" in run.face_lines()[0], run.details
  assert run.output["executing_eagerly"] is True, run.details


def test_a_tf1_program_forced_to_tf2_stops_in_one_line_naming_tf1(runs):
  run = runs["current"]["forced_tf2"]
  assert run.returncode == 1, run.details
  assert "(--tf2)" in run.face_lines()[0], run.details
  last = run.stderr.strip().splitlines()[-1]
  assert last.startswith("error: tf.logging is a TF 1.x name") and "--tf1" in last, run.details
  assert "Traceback" not in run.stderr, run.details
