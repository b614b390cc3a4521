"""What run.py and estimator-cnn print around the work: one line naming every package the stack
lacks (and none for --mode=inspect, which needs none), no libraries' INFO logs."""

import glob
import os
import re
import subprocess
import sys

from estimator_cnn.base.tf_setup import TF_VERSION, major_minor
from tests.helpers import REPO, TINY

MINOR = ".".join(TF_VERSION.split(".")[:2])
# The modules the stack needs besides TensorFlow, and the line that names them all.
if major_minor(TF_VERSION) >= (2, 16):
  STACK_MODULES = "tf_keras,tensorflow_estimator"
  MISSING_LINE = (f"error: TensorFlow {TF_VERSION} needs tf-keras and tensorflow-estimator to run "
                  f"tf.estimator: pip install 'tf-keras=={MINOR}.*' "
                  "'tensorflow-estimator==2.15.0'")
else:
  STACK_MODULES = "tensorflow_estimator"
  MISSING_LINE = (f"error: TensorFlow {TF_VERSION} needs tensorflow-estimator to run "
                  f"tf.estimator: pip install 'tensorflow-estimator=={MINOR}.*'")
# Runs the installed estimator-cnn's entry point with the modules argv[1] names hidden, as if
# they were not installed (sys.modules[name] = None).
_RUN_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
  if name:
    sys.modules[name] = None
sys.argv = ["estimator-cnn", *sys.argv[2:]]
from estimator_cnn.__main__ import entry_point
entry_point()
"""
# absl's prefix of an INFO line: I1202 12:45:38.852349 140606714747776 font_manager.py:1848] ...
INFO_LINE = re.compile(r"^I\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\] ", re.MULTILINE)


def run_without(hidden, *args, env=None):
  """Runs estimator-cnn args with the modules `hidden` (comma-separated) hidden."""
  return subprocess.run([sys.executable, "-c", _RUN_WITHOUT, hidden, *args], cwd=REPO,
                        capture_output=True, text=True, timeout=300,
                        env={**os.environ, "PYTHONPATH": REPO, **(env or {})})


def test_one_line_names_every_package_the_stack_lacks(fixture_data, tmp_path):
  model_dir = tmp_path / "model"
  result = run_without(STACK_MODULES, f"--data_dir={fixture_data}", f"--model_dir={model_dir}")
  assert (result.returncode, result.stderr, result.stdout) == (1, MISSING_LINE + "\n", "")
  assert not model_dir.exists()


def inspect_with_a_fresh_matplotlib(hidden, fixture_data, tmp_path, *args):
  """Runs --mode=inspect, hiding `hidden`, with a new matplotlib config folder: matplotlib builds
  its font cache there and logs at INFO that it did."""
  return run_without(hidden, "--mode=inspect", f"--data_dir={fixture_data}",
                     f"--report_dir={tmp_path / 'report'}", *args,
                     env={"MPLCONFIGDIR": str(tmp_path / "matplotlib")})


def test_inspect_needs_neither_tf_keras_nor_tf_estimator_and_prints_no_info_logs(fixture_data,
                                                                                tmp_path):
  result = inspect_with_a_fresh_matplotlib(STACK_MODULES, fixture_data, tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  assert sorted(os.listdir(tmp_path / "report")) == ["class_distribution.png",
                                                     "samples_per_class.png"]
  assert glob.glob(str(tmp_path / "matplotlib" / "fontlist-*.json"))  # So it logged at INFO.
  assert not INFO_LINE.search(result.stdout + result.stderr), result.stderr


def test_verbosity_brings_the_info_logs_back(fixture_data, tmp_path):
  result = inspect_with_a_fresh_matplotlib("", fixture_data, tmp_path, "--verbosity=0")
  assert result.returncode == 0, result.stderr[-3000:]
  assert re.search(INFO_LINE.pattern + "generated new fontManager", result.stderr, re.MULTILINE)


def test_training_prints_no_info_logs(fixture_data, tmp_path):
  result = run_without("", f"--data_dir={fixture_data}", f"--model_dir={tmp_path / 'model'}",
                       *TINY, "--steps=2", env={"MPLCONFIGDIR": str(tmp_path / "matplotlib")})
  assert result.returncode == 0, result.stderr[-3000:]
  assert not INFO_LINE.search(result.stdout + result.stderr), result.stderr
