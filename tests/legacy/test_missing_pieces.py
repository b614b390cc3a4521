"""What is missing on TF >= 2.16 says in one line what to install or set, through the runner."""

import pytest

from estimator_cnn.base.tf_setup import TF_VERSION, major_minor
from tests import stacks

pytestmark = pytest.mark.skipif(major_minor(TF_VERSION) < (2, 16),
                                reason="TF 2.15 ships tf.estimator and needs no tf-keras")

# Hides modules as if they were not installed (sys.modules[name] = None), then runs the runner.
_RUN_WITHOUT = """
import runpy
import sys

for name in sys.argv[1].split(","):
  sys.modules[name] = None
sys.argv = ["estimator_cnn.legacy", sys.argv[2]]
runpy.run_module("estimator_cnn.legacy", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("hidden,message", [
    ("tf_keras", "needs tf-keras to run tf.estimator: pip install 'tf-keras==2."),
    ("tensorflow_estimator",
     "needs tensorflow-estimator to run tf.estimator: pip install 'tensorflow-estimator==2.15.0'"),
    # Both at once, in one line.
    ("tf_keras,tensorflow_estimator", "needs tf-keras and tensorflow-estimator to run "
     "tf.estimator: pip install 'tf-keras==2."),
    # A TensorFlow that lacks something else the patches need.
    ("tensorflow.python.training.evaluation",
     "tensorflow-estimator 2.15.0 does not load on TensorFlow"),
])
def test_missing_piece_is_one_line_naming_the_fix(hidden, message, tmp_path):
  script = tmp_path / "never_runs.py"
  script.write_text("raise SystemExit('the script ran')\n")
  result = stacks.run(stacks.CURRENT, ["-c", _RUN_WITHOUT, hidden, script], check=False)
  details = stacks.describe(result.args, result.returncode, result.stdout, result.stderr)
  assert result.returncode == 1, details
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], details
  assert "Traceback" not in result.stderr, details
