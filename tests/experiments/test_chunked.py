"""How a stopped run ends its study: one line naming the finished runs' results, and the exit code
run.py gives the same stop."""

import signal

from estimator_cnn.base.errors import TrainingInterrupted, UserError
from estimator_cnn.experiments import chunked


def test_a_signal_ends_the_study_as_run_py_does_saying_how_to_resume():
  stopped = chunked.Stopped("checkpoint saved at global step 3 in out/runs/a", signal.SIGTERM)
  error = chunked.study_error(stopped, "run 2/4: rung 1 (a) seed 2", 1, "out/results.md")
  assert isinstance(error, TrainingInterrupted) and error.exit_code == 143
  assert f"{error.prefix}{error}" == (
      "interrupted by SIGTERM: run 2/4: rung 1 (a) seed 2: checkpoint saved at global step 3 in "
      "out/runs/a; the 1 finished run(s) are in out/results.md; run the same command again to "
      "resume")


def test_a_divergence_is_an_error_line_and_names_no_results_before_any_finished():
  stopped = chunked.Stopped("training diverged: ...")
  error = chunked.study_error(stopped, "preset 1/1 mlp", 0, "out/results.md", "preset")
  assert type(error) is UserError and error.exit_code == 1  # pylint: disable=unidiomatic-typecheck
  assert f"{error.prefix}{error}" == (
      "error: preset 1/1 mlp: training diverged: ...; no preset has finished yet")
