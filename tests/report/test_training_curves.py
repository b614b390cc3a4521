"""The eval report's training_curves.png: axis labels, a single evaluation, the evaluated step."""

import os

from matplotlib import image as mpl_image
import numpy as np

from estimator_cnn.report import eval_report
from tests.helpers import TINY, run_in_process

CURVES = {"train loss": ([1, 6, 11, 16], [2.3, 0.9, 0.5, 0.4]),
          "eval loss": ([10, 20], [0.6, 0.3]), "eval accuracy": ([10, 20], [0.8, 0.9])}


def _panels(figure):
  """{title: axes} of the figure's panels."""
  return {axes.get_title(): axes for axes in figure.axes}


def test_curves_are_cut_at_the_evaluated_step():
  assert eval_report.curves_up_to(CURVES, 11) == {
      "train loss": ([1, 6, 11], [2.3, 0.9, 0.5]), "eval loss": ([10], [0.6]),
      "eval accuracy": ([10], [0.8])}
  assert eval_report.curves_up_to(CURVES, 20) == {name: tuple(map(list, curve))
                                                  for name, curve in CURVES.items()}
  assert eval_report.curves_up_to(CURVES, 5) == {"train loss": ([1], [2.3])}


def test_every_panel_has_a_y_label_and_curves_of_two_evaluations_are_lines(tmp_path):
  path = str(tmp_path / "curves.png")
  panels = _panels(eval_report.plot_training_curves(CURVES, path))
  assert sorted(panels) == ["accuracy", "loss"]
  assert panels["loss"].get_ylabel() == "cross-entropy loss"
  assert panels["accuracy"].get_ylabel() == "accuracy (fraction right)"
  accuracy = panels["accuracy"].get_lines()
  assert [list(line.get_xdata()) for line in accuracy] == [[10, 20]]
  assert not panels["accuracy"].texts
  assert mpl_image.imread(path).shape[:2] == (400, 1100)


def test_a_single_evaluation_is_a_point_labelled_with_its_value(tmp_path):
  path = str(tmp_path / "curves.png")
  figure = eval_report.plot_training_curves(eval_report.curves_up_to(CURVES, 16), path)
  panels = _panels(figure)
  accuracy = panels["accuracy: one evaluation, no curve yet"]
  assert accuracy.get_ylabel() == "accuracy (fraction right)"
  (point,) = accuracy.get_lines()
  assert (list(point.get_xdata()), list(point.get_ydata())) == ([10], [0.8])
  assert point.get_marker() == "o"
  assert [text.get_text() for text in accuracy.texts] == ["0.8000"]
  assert [text.get_text() for text in panels["loss"].texts] == ["0.6000"]  # The eval loss.
  assert os.path.getsize(path) > 0


def test_the_report_stops_the_curves_at_the_evaluated_checkpoint(fixture_data, tmp_path, capsys,
                                                               monkeypatch):
  model_dir, report_dir = str(tmp_path / "model"), str(tmp_path / "report")
  common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}"]
  assert run_in_process(*common, *TINY, "--steps=6", "--log_every=2") == 0
  plotted = []
  plot = eval_report.plot_training_curves
  monkeypatch.setattr(eval_report, "plot_training_curves",
                      lambda curves, path: plotted.append(curves) or plot(curves, path))
  # Events written past the evaluated checkpoint, as by a run interrupted before its next one.
  curves = eval_report.read_training_curves(model_dir)
  monkeypatch.setattr(eval_report, "read_training_curves", lambda *folders: {
      **curves, "train loss": ([*curves["train loss"][0], 7, 9], [*curves["train loss"][1], 1, 1])})
  assert run_in_process(*common, "--mode=eval", f"--report_dir={report_dir}") == 0
  capsys.readouterr()
  (drawn,) = plotted
  assert drawn["train loss"][0] == [1, 3, 5] and drawn["eval accuracy"][0] == [6]
  assert max(max(steps) for steps, _ in drawn.values()) == 6
  image = mpl_image.imread(os.path.join(report_dir, eval_report.TRAINING_CURVES_PNG))
  assert image.shape[:2] == (400, 1100) and np.ptp(image) > 0
