"""Training's progress lines print the steps and losses TensorBoard shows."""

import re

import pytest

from estimator_cnn.report import eval_report
from tests.helpers import TINY, run_in_process

PROGRESS_LINE = re.compile(r"^step (\d+)/(\d+)  loss (\d+\.\d{4})  ", re.M)


def test_console_prints_the_steps_and_losses_tensorboard_shows(fixture_data, tmp_path, capsys):
  model_dir = str(tmp_path / "model")
  common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY]
  assert run_in_process(*common, "--log_every=5", "--steps=10") == 0
  assert run_in_process(*common, "--log_every=5", "--steps=7") == 0  # Resumed at step 10.
  printed = {int(step): float(loss)
             for step, _, loss in PROGRESS_LINE.findall(capsys.readouterr().out)}
  steps, losses = eval_report.read_training_curves(model_dir)["train loss"]
  assert steps == [1, 6, 11, 16]
  assert sorted(printed) == [1, 6, 10, 11, 16, 17]  # And each run's last step.
  for step, loss in zip(steps, losses):
    assert printed[step] == pytest.approx(loss, abs=1e-4), step
