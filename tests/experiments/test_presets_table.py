"""The presets table: plans, their run.py commands, a tiny table end to end, caps and resuming."""

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import types

from absl import flags
import pytest

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.base import command
from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments import runs
from estimator_cnn.experiments.presets_table import plan
from estimator_cnn.experiments.presets_table import table
from estimator_cnn.flags import core as flags_core
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.model import presets
from tests import helpers
from tests import idx_fixtures
from tests.experiments.output_files import DURATION
from tests.experiments.output_files import file_states
from tests.experiments.output_files import read_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_TABLE = "estimator_cnn.experiments.presets_table.table:run_table"
# bn_cnn's split holds out 1,000 images of each class and small_cnn's needs 2,000: the
# table splits for every preset, so the data must be that big even for --presets=mlp.
TRAIN_IMAGES = 10_010


def table_options(*args):
  """The TableOptions of `python -m estimator_cnn.experiments.presets_table` with args."""
  flag_values = flags.FlagValues()
  flags_studies.define_presets_table_flags(flag_values)
  flag_values(["presets_table", *args])
  return plan.TableOptions(**{name: flag_values[name].value for name in plan.TableOptions._fields})


def run_table(*args):
  """Runs the table of those args here; returns the exit code."""
  return command.run(RUN_TABLE, table_options(*args))


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):
  return idx_fixtures.write_fixture_dataset(str(tmp_path_factory.mktemp("data")), TRAIN_IMAGES,
                                            50)


@pytest.fixture(scope="module")
def tiny_table(fixture_data, tmp_path_factory):
  """keras_cnn (validated on its held-out 30%) and mlp, 3 steps each."""
  output = str(tmp_path_factory.mktemp("table") / "out")
  args = ["--presets=keras_cnn, mlp", "--budget_steps=3", "--log_every=1",
          f"--data_dir={fixture_data}", f"--output_dir={output}"]
  log = io.StringIO()
  with contextlib.redirect_stdout(log):
    assert run_table(*args) == 0
  return types.SimpleNamespace(args=args, output=output, log=log.getvalue(), data=fixture_data)


def test_pick_presets_keeps_the_tables_order_and_rejects_unknown_names():
  assert plan.pick_presets([]) == list(presets.PRESETS)
  assert plan.pick_presets(["mlp", "blog_cnn"]) == ["blog_cnn", "mlp"]
  with pytest.raises(UserError, match="unknown preset nope in --presets: pick from blog_cnn, "):
    plan.pick_presets(["mlp", "nope"])


def test_plan_caps_the_recipes_budget_by_steps_and_minutes():
  options = table_options("--output_dir=out")
  mlp = plan.make_plan(presets.PRESETS["mlp"], 50_000, options, "data")
  assert (mlp.batch_size, mlp.recipe_steps, mlp.steps, mlp.validate_every, mlp.max_minutes) == (
      32, 7813, 7813, None, None)
  assert mlp.model_dir.startswith(os.path.join("out", "runs", "mlp-"))
  capped = plan.make_plan(presets.PRESETS["mlp"], 50_000, table_options(
      "--output_dir=out", "--budget_steps=100", "--max_minutes_per_preset=5"), "data")
  assert (capped.recipe_steps, capped.steps, capped.max_minutes) == (7813, 100, 5)
  keras = plan.make_plan(presets.PRESETS["keras_cnn"], 42_000, options, "data")
  assert keras.validate_every == 329  # One epoch of 42,000 images in batches of 128.
  tutorial = presets.PRESETS["tf_tutorial"]
  assert plan.make_plan(tutorial, 60_000, options, "data").max_minutes == 20
  assert plan.make_plan(tutorial, 60_000, table_options(
      "--output_dir=out", "--max_minutes_per_preset=30"), "data").max_minutes == 20
  # Another seed or other data train afresh in another folder.
  assert len({mlp.model_dir, plan.make_plan(presets.PRESETS["mlp"], 50_000, options, "other").
              model_dir, plan.make_plan(presets.PRESETS["mlp"], 50_000, table_options(
                  "--output_dir=out", "--seed=2"), "data").model_dir}) == 3


@pytest.mark.parametrize("name", presets.PRESETS)
@pytest.mark.parametrize("budget_args", [(), ("--budget_steps=20",)])
def test_run_py_command_trains_like_the_plan(name, budget_args):
  train_size = 42_000
  preset_plan = plan.make_plan(presets.PRESETS[name], train_size,
                               table_options("--output_dir=out", "--seed=3", *budget_args), "d")
  run_py = shlex.split(plan.run_py_command(preset_plan, preset_plan.steps, "/data/fashion mnist"))
  assert run_py[:2] == ["python", "run.py"]
  flag_values = flags.FlagValues()
  flags_core.define_all(flag_values)
  flag_values(run_py[1:])
  settings = flags_core.settings(flag_values)
  assert settings_lib.model_params(settings) == preset_plan.preset.params
  training = settings_lib.training_plan(settings, name, train_size)
  assert (training.batch_size, training.steps or training.max_steps) == (
      preset_plan.batch_size, preset_plan.steps)
  assert training.eval_every == (preset_plan.validate_every or flag_values.eval_every)
  assert (settings.mode, settings.seed, settings.data_dir) == (
      "train_and_eval", 3, "/data/fashion mnist")


def test_tiny_table_trains_the_picked_presets_and_tabulates_every_preset(tiny_table):
  assert re.search(r"^presets: 2 picked, 0 done earlier, in \S+ \(TensorFlow ", tiny_table.log,
                   re.M)
  assert re.search(r"^preset 2/2 mlp: training to step 3 of the recipe's 1,565, batch 32, on "
                   r"10,010 images, in \S+mlp-\w+$", tiny_table.log, re.M)
  assert re.search(r"^preset 1/2 keras_cnn: step 2/3  loss \d+\.\d{4}  ", tiny_table.log, re.M)
  assert re.search(r"^preset 1/2 keras_cnn: step 3/3  validation accuracy [01]\.\d{4}  "
                   + DURATION + " so far  ETA 0s$", tiny_table.log, re.M)
  assert "1/2 presets trained; ETA about " in tiny_table.log

  results = read_json(os.path.join(tiny_table.output, "results.json"))
  keras, mlp = results["presets"]
  assert (keras["preset"], mlp["preset"]) == ("keras_cnn", "mlp")
  for record in (keras, mlp):
    assert (record["global_step"], record["tested_step"], record["planned_steps"]) == (3, 3, 3)
    assert record["capped_by"] == "budget_steps" and 0 <= record["accuracy"] <= 1
    assert "--steps=3" in record["run_py_command"] and tiny_table.data in record["run_py_command"]
    assert runs.load_result(record["model_dir"]) == record
  assert [point["step"] for point in keras["validation"]] == [3] and mlp["validation"] == []
  assert mlp["trainable_parameters"] == 28 * 28 * 128 + 128 + 128 * 10 + 10
  assert (results["seed"], results["test_images"]) == (1, 50)

  with open(os.path.join(tiny_table.output, "results.md")) as f:
    markdown = f.read()
  assert ("| mlp | flatten, dense 128 ReLU, dense 10 | 101,770 | adam 0.001, batch 32, 5 epochs | "
          "87.56% | ") in markdown
  assert "| 3 of 1,565: capped by --budget_steps |" in markdown
  bn_cnn = presets.PRESETS["bn_cnn"]
  assert (f"| bn_cnn | {bn_cnn.architecture} | | | {bn_cnn.published_accuracy} | not run "
          in markdown)
  assert f"- mlp: `{mlp['run_py_command']}`" in markdown


def test_rerun_skips_finished_presets_without_training(tiny_table, capsys):
  before = file_states(os.path.join(tiny_table.output, "runs"))
  assert run_table(*tiny_table.args) == 0
  out = capsys.readouterr().out
  assert "presets: 2 picked, 2 done earlier" in out and out.count("; skipped") == 2
  assert "steps/s" not in out
  assert file_states(os.path.join(tiny_table.output, "runs")) == before


def test_time_cap_stops_training_and_the_table_says_so(fixture_data, tmp_path, capsys):
  assert run_table("--presets=mlp", "--max_minutes_per_preset=0.0001",
                   f"--data_dir={fixture_data}", f"--output_dir={tmp_path}") == 0
  out = capsys.readouterr().out
  assert re.search(r"mlp: stopped at step \d+: the 0\.0001-minute cap", out)
  [record] = read_json(tmp_path / "results.json")["presets"]
  assert record["capped_by"] == "time" and record["global_step"] < record["planned_steps"]
  assert ": capped at 0.0001 minutes here |" in (tmp_path / "results.md").read_text()


def test_interrupted_preset_resumes_without_training_again(fixture_data, tmp_path, monkeypatch,
                                                           capsys):
  args = ["--presets=mlp", "--budget_steps=3", f"--data_dir={fixture_data}",
          f"--output_dir={tmp_path}"]
  def interrupt(*unused_args):
    raise RuntimeError("stop")

  monkeypatch.setattr(table, "_test", interrupt)
  with pytest.raises(RuntimeError, match="stop"):
    run_table(*args)
  monkeypatch.undo()
  [model_dir] = (tmp_path / "runs").iterdir()
  trained_seconds = runs.load_progress(str(model_dir))["wall_seconds"]
  assert run_table(*args) == 0
  out = capsys.readouterr().out
  assert "mlp: resuming at step 3 to step 3 of the recipe's 1,565" in out
  assert runs.load_result(str(model_dir))["wall_seconds"] == round(trained_seconds, 1)


def test_sigint_stops_the_table_in_one_line_keeping_the_finished_presets(
    fixture_data, tmp_path, monkeypatch, capsys):
  common = ["--budget_steps=3", f"--data_dir={fixture_data}", f"--output_dir={tmp_path}"]
  assert run_table("--presets=mlp", *common) == 0
  monkeypatch.setattr(table, "ProgressHook", helpers.sigint_after(2))
  assert run_table("--presets=keras_cnn,mlp", *common) == 130
  monkeypatch.undo()
  [keras_dir] = (tmp_path / "runs").glob("keras_cnn-*")
  assert capsys.readouterr().err == (
      f"interrupted by SIGINT: preset 1/2 keras_cnn: checkpoint saved at global step 2 in "
      f"{keras_dir}; the 1 finished preset(s) are in {tmp_path}/results.md; run the same command "
      "again to resume\n")
  assert [r["preset"] for r in read_json(tmp_path / "results.json")["presets"]] == ["mlp"]
  assert runs.load_result(str(keras_dir)) is None

  assert run_table("--presets=keras_cnn,mlp", *common) == 0
  assert "keras_cnn: resuming at step 2 to step 3" in capsys.readouterr().out
  assert [(r["preset"], r["global_step"]) for r in read_json(tmp_path / "results.json")[
      "presets"]] == [("keras_cnn", 3), ("mlp", 3)]


def test_a_diverged_preset_stops_the_table_in_one_line(fixture_data, tmp_path, monkeypatch,
                                                       capsys):
  monkeypatch.setattr(table, "ProgressHook", helpers.poison_weights_at(1))
  assert run_table("--presets=mlp", "--budget_steps=3", f"--data_dir={fixture_data}",
                   f"--output_dir={tmp_path}") == 1
  [mlp_dir] = (tmp_path / "runs").glob("mlp-*")
  assert capsys.readouterr().err == (
      "error: preset 1/1 mlp: training diverged: the loss or a weight became NaN or infinite at "
      f"step 2 (learning_rate 0.001); the latest checkpoint is {mlp_dir}/model.ckpt-0; no preset "
      "has finished yet\n")
  assert runs.load_result(str(mlp_dir)) is None and not (tmp_path / "results.md").exists()


def test_broken_result_and_output_file_are_one_line_errors(tiny_table, tmp_path, capsys):
  (tmp_path / "file").write_text("")
  assert run_table("--presets=mlp", f"--output_dir={tmp_path / 'file'}") == 1
  assert capsys.readouterr().err == (f"error: --output_dir={tmp_path / 'file'} is a file, not a "
                                     "folder: pass a folder path\n")
  mlp_dir = read_json(os.path.join(tiny_table.output, "results.json"))["presets"][1]["model_dir"]
  result = os.path.join(mlp_dir, runs.RESULT_FILE)
  with open(result) as f:
    saved = f.read()
  try:
    with open(result, "w") as f:
      f.write('{"loss": 1}')
    assert run_table(*tiny_table.args) == 1
    assert capsys.readouterr().err == (f"error: {result} is not a run result: move it away to "
                                       "train that run again\n")
  finally:
    with open(result, "w") as f:
      f.write(saved)


def test_command_line_reports_a_user_error_in_one_line_and_lists_its_flags(tmp_path):
  def table_command(*args):
    return subprocess.run([sys.executable, "-m", "estimator_cnn.experiments.presets_table", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": REPO})

  result = table_command("--presets=mlp,nope")
  assert result.returncode == 1 and result.stderr == (
      f"error: unknown preset nope in --presets: pick from {', '.join(presets.PRESETS)}\n")
  assert os.listdir(tmp_path) == []
  help_text = table_command("--help").stdout
  assert all(f"--{flag}:" in help_text for flag in plan.TableOptions._fields)
