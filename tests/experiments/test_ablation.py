"""The ablation study: a tiny study end to end, its cache, resuming, and users' mistakes."""

import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import types

from absl import flags
import pytest

from estimator_cnn.experiments import runs
from estimator_cnn.experiments.ablation import __main__ as ablation_main
from estimator_cnn.experiments.ablation import report
from estimator_cnn.experiments.ablation import study
from tests import idx_fixtures
from tests.experiments.output_files import DURATION
from tests.experiments.output_files import file_states
from tests.experiments.output_files import read_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Gradient descent keeps the 2-block network's checkpoints small (no Adam slots).
TINY_LADDER = [
    {"name": "gd slow", "change": {"optimizer": "gradient_descent", "learning_rate": 0.05,
                                   "conv_blocks": 2, "dropout_pool2": 0, "dropout_pool3": 0,
                                   "steps": 6, "batch_size": 20},
     "blog_accuracy": 0.5, "reference_accuracy": [0.6, 0.62]},
    {"name": "gd fast", "change": {"learning_rate": 0.2}, "blog_accuracy": [0.3, 0.4]},
]


def run_study(*args):
  """Parses args like `python -m estimator_cnn.experiments.ablation`, runs them here: exit code."""
  flag_values = flags.FlagValues()
  ablation_main.define_flags(flag_values)
  flag_values(["ablation", *args])
  return ablation_main.run(flag_values)


def write_ladder(path, content):
  path.write_text(json.dumps(content))
  return str(path)


def copy_results(source, destination):
  """Copies a study's output without checkpoints: finished runs are known by their JSON files."""
  shutil.copytree(source, destination, ignore=lambda folder, names: [
      name for name in names
      if os.path.isfile(os.path.join(folder, name)) and not name.endswith(".json")])
  return str(destination)


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):
  return idx_fixtures.write_fixture_dataset(str(tmp_path_factory.mktemp("data")), 200, 50)


@pytest.fixture(scope="module")
def tiny_study(fixture_data, tmp_path_factory):
  """2 rungs x 2 seeds of 6 steps, evaluated every 3 steps; its output folder and log."""
  folder = tmp_path_factory.mktemp("study")
  ladder = write_ladder(folder / "tiny.json", TINY_LADDER)
  args = [f"--ladder={ladder}", f"--data_dir={fixture_data}", f"--output_dir={folder / 'out'}",
          "--seeds=2", "--eval_every=3"]
  log = io.StringIO()
  with contextlib.redirect_stdout(log):
    assert run_study(*args) == 0
  return types.SimpleNamespace(args=args, output=str(folder / "out"), log=log.getvalue(),
                               data=fixture_data)


def test_tiny_study_writes_results_and_figures(tiny_study):
  assert re.search(r"^run 1/4: rung 1 \(gd slow\) seed 1: step 3/6  test accuracy 0\.\d{4}  "
                   r"loss \d+\.\d{4}  \d+\.\d\d steps/s  ETA " + DURATION + "$",
                   tiny_study.log, re.M)
  assert "run 4/4: rung 2 (gd fast) seed 2: training 6 steps" in tiny_study.log
  assert "trained 4 run(s), skipped 0 done earlier" in tiny_study.log

  results = read_json(os.path.join(tiny_study.output, "results.json"))
  runs = results["runs"]
  assert [(r["rung"], r["name"], r["seed"]) for r in runs] == [
      (1, "gd slow", 1), (1, "gd slow", 2), (2, "gd fast", 1), (2, "gd fast", 2)]
  assert all([p["step"] for p in r["curve"]] == [3, 6] and r["global_step"] == 6 for r in runs)
  assert all(r["accuracy"] == r["curve"][-1]["accuracy"] and r["wall_seconds"] > 0 for r in runs)
  assert runs[2]["config"] == {**runs[0]["config"], "learning_rate": 0.2}
  slow = results["rungs"][0]
  assert slow["accuracy_mean"] == pytest.approx((runs[0]["accuracy"] + runs[1]["accuracy"]) / 2)
  assert slow["blog_accuracy"] == [0.5, 0.5] and slow["reference_accuracy"] == [0.6, 0.62]
  assert all(os.path.exists(os.path.join(r["model_dir"], "checkpoint")) for r in runs)

  with open(os.path.join(tiny_study.output, "results.csv")) as f:
    rows = list(csv.DictReader(f))
  assert [(row["rung"], row["seed"], row["learning_rate"], row["steps"]) for row in rows] == [
      ("1", "1", "0.05", "6"), ("1", "2", "0.05", "6"), ("2", "1", "0.2", "6"),
      ("2", "2", "0.2", "6")]
  assert rows[0]["curve"] == " ".join(f"{p['step']}:{p['accuracy']:.4f}" for p in runs[0]["curve"])

  with open(os.path.join(tiny_study.output, "results.md")) as f:
    markdown = f.read()
  assert "| 1. gd slow | optimizer=gradient_descent, learning_rate=0.05," in markdown
  assert "| 2 | 50% | 60.0% / 62.0% |" in markdown and "| 2 | 30-40% |  |" in markdown
  assert results["rungs"][1]["run_py_command"] in markdown
  for figure in (report.BARS_FIGURE, report.CURVES_FIGURE):
    with open(os.path.join(tiny_study.output, figure), "rb") as f:
      content = f.read()
    assert content.startswith(b"\x89PNG") and len(content) > 20000


def test_rerun_skips_finished_runs_without_training(tiny_study, capsys):
  runs = os.path.join(tiny_study.output, "runs")
  before = file_states(runs)
  assert run_study(*tiny_study.args) == 0
  out = capsys.readouterr().out
  assert out.count("done earlier, test accuracy") == 4 and "steps/s" not in out
  assert "trained 0 run(s), skipped 4 done earlier" in out
  assert file_states(runs) == before


def test_rungs_flag_picks_by_number_or_name(tiny_study, capsys):
  for pick in ("2", "GD Fast", "gd-fast"):
    assert run_study(*tiny_study.args, f"--rungs={pick}") == 0
    out = capsys.readouterr().out
    assert "run 1/2: rung 2 (gd fast) seed 1: done earlier" in out and "rung 1 (" not in out
  assert run_study(*tiny_study.args, "--rungs=3") == 1
  assert 'unknown rung "3" in --rungs: pick numbers or names of 1 (gd slow), 2 (gd fast)' in (
      capsys.readouterr().err)


def test_added_rung_trains_only_that_rung(tiny_study, tmp_path, capsys):
  output = copy_results(tiny_study.output, tmp_path / "out")
  ladder = write_ladder(tmp_path / "longer.json",
                        [*TINY_LADDER, {"name": "gd faster", "change": {"learning_rate": 0.4}}])
  assert run_study(f"--ladder={ladder}", f"--data_dir={tiny_study.data}",
                   f"--output_dir={output}", "--seeds=1", "--eval_every=3") == 0
  assert "trained 1 run(s), skipped 2 done earlier" in capsys.readouterr().out
  results = read_json(os.path.join(output, "results.json"))
  assert [(r["rung"], r["seed"]) for r in results["runs"]] == [(1, 1), (2, 1), (3, 1)]
  added = results["runs"][-1]
  assert (added["name"], added["config"]) == ("gd faster", {**results["runs"][1]["config"],
                                                            "learning_rate": 0.4})


def test_changed_rung_trains_afresh_and_keeps_the_earlier_run(tiny_study, tmp_path, capsys):
  output = copy_results(tiny_study.output, tmp_path / "out")
  changed = [TINY_LADDER[0], {**TINY_LADDER[1], "change": {"learning_rate": 0.3}}]
  ladder = write_ladder(tmp_path / "tiny.json", changed)
  before = file_states(output)
  assert run_study(f"--ladder={ladder}", f"--data_dir={tiny_study.data}",
                   f"--output_dir={output}", "--seeds=1", "--rungs=2", "--eval_every=3") == 0
  out = capsys.readouterr().out
  assert re.search(r"rung 2 \(gd fast\) seed 1: config changed since \S+gd-fast-seed1-\w+ "
                   r"\(learning_rate 0\.2 -> 0\.3\): training afresh", out)
  assert "trained 1 run(s), skipped 0" in out
  after = file_states(output)
  assert all(after[path] == state for path, state in before.items() if "runs" in path)
  assert read_json(os.path.join(output, "results.json"))["runs"][-1]["config"][
      "learning_rate"] == 0.3


def test_interrupted_run_resumes_from_its_checkpoint_keeping_its_curve(
    fixture_data, tmp_path, monkeypatch, capsys):
  ladder = write_ladder(tmp_path / "one.json", TINY_LADDER[:1])
  args = [f"--ladder={ladder}", f"--data_dir={fixture_data}", f"--output_dir={tmp_path / 'out'}",
          "--seeds=1", "--eval_every=3"]
  evaluate = study._evaluate  # pylint: disable=protected-access

  def evaluate_then_interrupt(estimator, *args):
    if os.path.exists(os.path.join(estimator.model_dir, runs.PROGRESS_FILE)):
      raise RuntimeError("interrupted")
    return evaluate(estimator, *args)

  monkeypatch.setattr(study, "_evaluate", evaluate_then_interrupt)
  with pytest.raises(RuntimeError, match="interrupted"):
    run_study(*args)
  monkeypatch.undo()
  [model_dir] = [os.path.join(tmp_path, "out", "runs", name)
                 for name in os.listdir(tmp_path / "out" / "runs")]
  first_point = read_json(os.path.join(model_dir, runs.PROGRESS_FILE))["curve"]
  assert [point["step"] for point in first_point] == [3]
  checkpoints = sorted(name for name in os.listdir(model_dir) if name.startswith("model.ckpt"))

  assert run_study(*args) == 0
  assert f"run 1/1: rung 1 (gd slow) seed 1: resuming at step 6 in {model_dir}" in (
      capsys.readouterr().out)
  curve = read_json(os.path.join(model_dir, runs.RESULT_FILE))["curve"]
  assert curve[0] == first_point[0] and [point["step"] for point in curve] == [3, 6]
  assert sorted(name for name in os.listdir(model_dir) if name.startswith("model.ckpt")) == (
      checkpoints)


def test_study_with_train_accuracy_reports_the_gap_and_resumes(fixture_data, tmp_path,
                                                              monkeypatch, capsys):
  # A ladder object sets its own seeds and eval_every, and measures the training images too.
  ladder = write_ladder(tmp_path / "gap.json", {
      "title": "Gap", "seeds": 1, "eval_every": 3, "train_accuracy": True,
      "rungs": [{"name": "subset", "change": {**TINY_LADDER[0]["change"], "train_subset": 60}}]})
  args = [f"--ladder={ladder}", f"--data_dir={fixture_data}", f"--output_dir={tmp_path / 'out'}"]
  evaluate = study._evaluate  # pylint: disable=protected-access
  measured = []

  def record_then_interrupt(estimator, test, train=None):
    measured.append(len(train[1]))
    if os.path.exists(os.path.join(estimator.model_dir, runs.PROGRESS_FILE)):
      raise RuntimeError("interrupted")
    return evaluate(estimator, test, train)

  monkeypatch.setattr(study, "_evaluate", record_then_interrupt)
  with pytest.raises(RuntimeError, match="interrupted"):
    run_study(*args)
  monkeypatch.undo()
  assert measured == [60, 60]  # The 60 training images, not the fixture's 200.
  assert run_study(*args) == 0
  out = capsys.readouterr().out
  assert "run 1/1: rung 1 (subset) seed 1: resuming at step 6" in out

  results = read_json(os.path.join(tmp_path, "out", "results.json"))
  [run] = results["runs"]
  assert [p["step"] for p in run["curve"]] == [3, 6] and run["seed"] == 1
  assert all(0 <= p["train_accuracy"] <= 1 and p["train_loss"] > 0 for p in run["curve"])
  assert run["train_accuracy"] == run["curve"][-1]["train_accuracy"]
  [rung] = results["rungs"]
  assert rung["gap_mean"] == pytest.approx(run["train_accuracy"] - run["accuracy"])
  assert results["eval_every"] == 3 and results["seeds"] == [1]
  markdown = (tmp_path / "out" / "results.md").read_text()
  assert "| rung | training accuracy | test accuracy | gap | best test accuracy |" in markdown
  assert "--train_subset=60" in rung["run_py_command"]
  content = (tmp_path / "out" / report.GAP_FIGURE).read_bytes()
  assert content.startswith(b"\x89PNG") and len(content) > 20000


def test_sigterm_stops_the_study_in_one_line_keeping_the_finished_runs(fixture_data, tmp_path,
                                                                      monkeypatch, capsys):
  ladder = write_ladder(tmp_path / "one.json", TINY_LADDER[:1])
  output = str(tmp_path / "out")
  args = [f"--ladder={ladder}", f"--data_dir={fixture_data}", f"--output_dir={output}",
          "--seeds=2", "--eval_every=3"]
  evaluate = study._evaluate  # pylint: disable=protected-access
  handler = signal.getsignal(signal.SIGTERM)

  def evaluate_then_terminate(estimator, *args):
    point = evaluate(estimator, *args)
    if "seed2" in estimator.model_dir:  # Seed 1 finished; seed 2 measured its first chunk.
      os.kill(os.getpid(), signal.SIGTERM)
    return point

  monkeypatch.setattr(study, "_evaluate", evaluate_then_terminate)
  assert run_study(*args) == 143
  monkeypatch.undo()
  [first, second] = sorted(os.path.join(output, "runs", name)
                           for name in os.listdir(os.path.join(output, "runs")))
  assert capsys.readouterr().err == (
      f"interrupted by SIGTERM: run 2/2: rung 1 (gd slow) seed 2: checkpoint saved at global step "
      f"3 in {second}; the 1 finished run(s) are in {output}/results.md; run the same command "
      "again to resume\n")
  assert signal.getsignal(signal.SIGTERM) is handler
  assert [r["seed"] for r in read_json(os.path.join(output, "results.json"))["runs"]] == [1]
  assert runs.load_result(first) and runs.load_result(second) is None
  assert [point["step"] for point in runs.load_progress(second)["curve"]] == [3]

  assert run_study(*args) == 0
  assert f"run 2/2: rung 1 (gd slow) seed 2: resuming at step 3 in {second}" in (
      capsys.readouterr().out)
  results = read_json(os.path.join(output, "results.json"))
  assert [[point["step"] for point in r["curve"]] for r in results["runs"]] == [[3, 6], [3, 6]]


def test_a_diverged_run_stops_the_study_in_one_line_keeping_the_finished_runs(
    fixture_data, tmp_path, capsys):
  ladder = write_ladder(tmp_path / "diverges.json", [
      TINY_LADDER[0], {"name": "too fast", "change": {"learning_rate": 1e30}}])
  output = str(tmp_path / "out")
  assert run_study(f"--ladder={ladder}", f"--data_dir={fixture_data}", f"--output_dir={output}",
                   "--seeds=1", "--eval_every=3") == 1
  err = capsys.readouterr().err
  [first, second] = sorted(os.path.join(output, "runs", name)
                           for name in os.listdir(os.path.join(output, "runs")))
  assert re.fullmatch(
      r"error: run 2/2: rung 2 \(too fast\) seed 1: training diverged: the loss or a weight became "
      r"NaN or infinite at step \d+ \(learning_rate 1e\+30\); the latest checkpoint is "
      + re.escape(f"{second}/model.ckpt-0; the 1 finished run(s) are in {output}/results.md")
      + "\n", err)
  assert [r["name"] for r in read_json(os.path.join(output, "results.json"))["runs"]] == [
      "gd slow"]
  assert runs.load_result(first) and runs.load_result(second) is None


@pytest.mark.parametrize("content,message", [
    ("{not json", "is not valid JSON"),
    ("[]", "must hold a non-empty JSON list of rungs"),
    ('{"rungs": [{"name": "a"}], "notes": ""}', 'unknown key "notes"; a ladder object has'),
    ('[{"change": {}}]', 'rung 1 needs a "name"'),
    ('[{"name": "a", "chnage": {}}]', 'rung 1: unknown key "chnage"'),
    ('[{"name": "a", "change": {"optimiser": "adam"}}]', 'unknown config key "optimiser"'),
    ('[{"name": "a"}, {"name": "b", "change": {"learning_rate": -1}}]',
     "rung 2 (b): learning_rate=-1 must be a number > 0"),
    ('[{"name": "a", "change": {"conv_blocks": 4}}]', "conv_blocks=4 must be 2 or 3"),
    ('[{"name": "a", "change": {"steps": 1.5}}]', "steps=1.5 must be an integer >= 1"),
    ('[{"name": "a", "change": {"optimizer": "rmsprop"}}]', "must be one of adam"),
    ('[{"name": "a", "change": {"dropout_dense": true}}]', "dropout_dense=true must be"),
    ('[{"name": "a", "blog_accuracy": 89}]', "blog_accuracy must hold fractions in [0, 1]"),
    ('[{"name": "Adam"}, {"name": "adam"}]', 'two rungs are named "adam"'),
    ('{"rungs": [{"name": "a"}], "seeds": 0}', "seeds must be an integer >= 1"),
    ('{"rungs": [{"name": "a"}], "train_accuracy": "yes"}', "train_accuracy must be true or"),
    ('[{"name": "a", "change": {"train_subset": 0}}]', "train_subset=0 must be an integer"),
])
def test_bad_ladder_is_one_error_line_and_results_stay(tiny_study, tmp_path, capsys, content,
                                                       message):
  path = tmp_path / "bad.json"
  path.write_text(content)
  before = file_states(tiny_study.output)
  assert run_study(f"--ladder={path}", f"--output_dir={tiny_study.output}") == 1
  err = capsys.readouterr().err
  assert err.startswith("error: ") and str(path) in err and message in err
  assert err.count("\n") == 1
  assert file_states(tiny_study.output) == before


def test_missing_ladder_file_and_missing_data_are_user_errors(tmp_path, capsys):
  assert run_study(f"--ladder={tmp_path / 'absent.json'}") == 1
  assert "error: cannot read ladder file" in capsys.readouterr().err
  assert run_study(f"--data_dir={tmp_path}", f"--output_dir={tmp_path / 'out'}") == 1
  assert capsys.readouterr().err.startswith(f"error: data folder {tmp_path} is missing")
  assert not (tmp_path / "out").exists()


def test_command_line_reports_a_user_error_in_one_line(tmp_path):
  (tmp_path / "bad.json").write_text('[{"name": "a", "change": {"steps": 0}}]')
  result = subprocess.run(
      [sys.executable, "-m", "estimator_cnn.experiments.ablation", "--ladder=bad.json"],
      cwd=tmp_path, capture_output=True, text=True, timeout=300,
      env={**os.environ, "PYTHONPATH": REPO})
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert result.stderr == "error: bad.json: rung 1 (a): steps=0 must be an integer >= 1\n"
  assert os.listdir(tmp_path) == ["bad.json"]
