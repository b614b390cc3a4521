"""--mode=eval's report and --mode=inspect's data overview, checked against numbers computed here."""

import contextlib
import io
import json
import os

from matplotlib import image as mpl_image
from matplotlib import colors
import numpy as np
import pytest

from estimator_cnn.base.fashion_mnist import NUM_CLASSES
from estimator_cnn.data import idx_csv
from estimator_cnn.model import presets
from estimator_cnn.report import data_overview
from estimator_cnn.report import eval_report
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import saved_params
from tests import idx_fixtures
from tests.helpers import TINY, run_in_process, snapshot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


NUM_RELABELLED = 10


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):
  """The fixture data with the first test images relabelled as the next class: a model errs."""
  data_dir = idx_fixtures.write_fixture_dataset(str(tmp_path_factory.mktemp("data")), 300, 100)
  labels_path = os.path.join(data_dir, idx_csv.IDX_FILES["test_labels"])
  labels = idx_csv.read_idx(labels_path).copy()
  labels[:NUM_RELABELLED] = (labels[:NUM_RELABELLED] + 1) % NUM_CLASSES
  idx_csv.write_idx(labels_path, labels)
  return data_dir


@pytest.fixture(scope="module")
def trained(fixture_data, tmp_path_factory):
  """(model_dir, training's final accuracy line) of a model trained for 5 steps."""
  model_dir = str(tmp_path_factory.mktemp("model"))
  training = _run_and_capture(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                              "--steps=5", "--log_every=2")
  return model_dir, [l for l in training if l.startswith("test accuracy")][-1]


def _run_and_capture(*args):
  """Runs run.py's flags in this process; returns its stdout lines (fixtures have no capsys)."""
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    assert run_in_process(*args) == 0
  return out.getvalue().splitlines()


def _independent_probabilities(model_dir, images):
  """Class probabilities from Estimator.predict, one example at a time."""
  estimator = build.make_estimator(model_dir, saved_params.load_params(model_dir), seed=1)
  predictions = estimator.predict(build.eval_input_fn(images))
  return np.array([p["probabilities"] for p in predictions])


def _assert_png(path):
  with open(path, "rb") as f:
    assert f.read(8) == PNG_MAGIC, path
  assert mpl_image.imread(path).shape[0] > 200


def test_classification_metrics_on_a_known_answer():
  labels = np.array([0, 0, 1, 1, 2])
  predicted = np.array([0, 1, 1, 1, 0])
  metrics = eval_report.classification_metrics(labels, np.eye(NUM_CLASSES)[predicted])
  counts = np.array(metrics["confusion_matrix"]["counts"])
  assert counts[0, 0] == 1 and counts[0, 1] == 1 and counts[1, 1] == 2 and counts[2, 0] == 1
  assert counts.sum() == 5
  per_class = metrics["per_class"]
  assert per_class[0] == {"class": "T-shirt/top", "precision": 0.5, "recall": 0.5, "f1": 0.5,
                          "support": 2}
  assert per_class[1]["precision"] == pytest.approx(2 / 3) and per_class[1]["recall"] == 1.0
  assert per_class[1]["f1"] == pytest.approx(0.8)
  assert per_class[2] == {"class": "Pullover", "precision": 0.0, "recall": 0.0, "f1": 0.0,
                          "support": 1}
  assert metrics["most_confused"] == [
      {"true": "T-shirt/top", "predicted": "Trouser", "count": 1},
      {"true": "Pullover", "predicted": "T-shirt/top", "count": 1}]


def test_eval_writes_a_report_that_matches_the_predictions(fixture_data, trained, capsys):
  model_dir, accuracy_line = trained
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--mode=eval") == 0
  lines = capsys.readouterr().out.splitlines()
  checkpoint = os.path.join(model_dir, "model.ckpt-5")
  assert lines[:2] == [accuracy_line, f"checkpoint: {checkpoint} (global step 5)"]

  report_dir = os.path.join(model_dir, eval_report.EVAL_REPORT_DIR)
  with open(os.path.join(report_dir, eval_report.METRICS_FILE)) as f:
    metrics = json.load(f)
  dataset = idx_csv.load_fashion_mnist(fixture_data)
  labels = dataset.test_labels
  predicted = _independent_probabilities(model_dir, dataset.test_images).argmax(axis=1)
  expected_counts = np.zeros((NUM_CLASSES, NUM_CLASSES), int)
  for truth, guess in zip(labels, predicted):
    expected_counts[truth, guess] += 1
  assert metrics["confusion_matrix"]["counts"] == expected_counts.tolist()
  assert 0 < np.trace(expected_counts) < len(labels)
  assert metrics["accuracy"] == pytest.approx(np.mean(predicted == labels), abs=1e-6)
  assert f"test accuracy {metrics['accuracy']:.4f}  loss {metrics['loss']:.4f}  " \
         f"global_step {metrics['global_step']} " in accuracy_line
  recall = [np.mean(predicted[labels == k] == k) for k in range(NUM_CLASSES)]
  np.testing.assert_allclose([c["recall"] for c in metrics["per_class"]], recall)
  mistakes = expected_counts - np.diag(np.diag(expected_counts))
  assert metrics["most_confused"][0]["count"] == mistakes.max()
  assert sum(p["count"] for p in metrics["most_confused"]) <= mistakes.sum()

  for name in eval_report.PNG_FILES:
    _assert_png(os.path.join(report_dir, name))
  table, summary = lines[2:3 + NUM_CLASSES], lines[3 + NUM_CLASSES:]
  assert table == eval_report.per_class_table(metrics["per_class"])
  weakest = sorted(metrics["per_class"], key=lambda c: c["f1"])[:3]
  assert summary[0] == f"eval report: {report_dir}  (metrics.json and 5 PNGs)"
  assert summary[1].startswith(f"accuracy {metrics['accuracy']:.4f}: {np.trace(expected_counts)} "
                               f"of {len(labels)}")
  assert summary[2] == "weakest classes (F1): " + ", ".join(
      f"{c['class']} {c['f1']:.3f}" for c in weakest)
  first_pair = metrics["most_confused"][0]
  assert summary[3].startswith(f"most confused (true -> predicted): {first_pair['true']} -> "
                             f"{first_pair['predicted']} ({first_pair['count']})")

  curves = eval_report.read_training_curves(model_dir)
  loss_steps = curves["train loss"][0]
  assert loss_steps[0] == 1 and len(loss_steps) >= 2 and loss_steps[-1] <= 5
  assert curves["eval accuracy"][0][-1] == metrics["global_step"]
  assert curves["eval accuracy"][1][-1] == pytest.approx(metrics["accuracy"])


def test_per_class_table_has_aligned_columns():
  per_class = eval_report.classification_metrics(
      np.array([0, 0, 1, 1, 2]), np.eye(NUM_CLASSES)[[0, 1, 1, 1, 0]])["per_class"]
  table = eval_report.per_class_table(per_class)
  assert table[:3] == ["class        precision  recall     F1  support",
                       "T-shirt/top      0.500   0.500  0.500        2",
                       "Trouser          0.667   1.000  0.800        2"]
  assert len(table) == 1 + NUM_CLASSES and len({len(line) for line in table}) == 1
  assert table[-1].split() == ["Ankle", "boot", "0.000", "0.000", "0.000", "0"]


def test_eval_prints_progress_only_between_batches(fixture_data, trained, tmp_path, monkeypatch,
                                                   capsys):
  model_dir, _ = trained
  monkeypatch.setattr(presets, "EVAL_BATCH_SIZE", 10)  # 100 test images: 10 batches.
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", "--mode=eval",
                        f"--report_dir={tmp_path}") == 0
  lines = capsys.readouterr().out.splitlines()
  assert lines[0] == "evaluated 50/100 images" and lines[1].startswith("test accuracy ")
  assert not any(line.startswith("evaluated") for line in lines[1:])


def test_prediction_grid_colours_right_green_and_wrong_red(tmp_path):
  images = np.zeros((2, 28, 28))
  probabilities = np.eye(NUM_CLASSES)[[3, 4]]
  path = str(tmp_path / "grid.png")
  eval_report.plot_prediction_grid(images, np.array([3, 3]), probabilities, [0], "right", path)
  pixels = {tuple(p) for p in (mpl_image.imread(path)[..., :3] * 255).astype(int).reshape(-1, 3)}
  green, red = (tuple(int(255 * c) for c in colors.to_rgb(name))
                for name in (eval_report.RIGHT_COLOUR, eval_report.WRONG_COLOUR))
  assert green in pixels and red not in pixels
  eval_report.plot_prediction_grid(images, np.array([3, 3]), probabilities, [1], "wrong", path)
  pixels = {tuple(p) for p in (mpl_image.imread(path)[..., :3] * 255).astype(int).reshape(-1, 3)}
  assert red in pixels and green not in pixels


def test_eval_report_dir_that_is_a_file_is_refused(fixture_data, trained, tmp_path, capsys):
  model_dir, _ = trained
  path = tmp_path / "file"
  path.write_text("keep me")
  before = snapshot(model_dir)
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", "--mode=eval",
                        f"--report_dir={path}") == 1
  assert "--report_dir" in capsys.readouterr().err and path.read_text() == "keep me"
  assert snapshot(model_dir) == before


def test_inspect_writes_samples_and_class_distribution_to_reports_data(
    fixture_data, tmp_path, monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  assert run_in_process(f"--data_dir={fixture_data}", "--mode=inspect") == 0
  out = capsys.readouterr().out
  assert "300 training and 100 test images" in out
  report_dir = os.path.join("reports", "data")
  assert sorted(os.listdir(report_dir)) == sorted([data_overview.SAMPLES_PNG,
                                                   data_overview.DISTRIBUTION_PNG])
  for name in os.listdir(report_dir):
    assert os.path.join(report_dir, name) in out.splitlines()
    _assert_png(os.path.join(report_dir, name))
