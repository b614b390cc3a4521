"""Settings: a preset's recipe sets the defaults, explicit flags win, epochs become steps."""

import dataclasses
import json
import os

from absl import flags
import pytest

from estimator_cnn.app import settings
from estimator_cnn.base.errors import UserError
from estimator_cnn.flags import core as flags_core
from estimator_cnn.model import presets
from estimator_cnn.training import best
from tests.helpers import parse_settings, run_in_process

TINY = ["--batch_size=8", "--steps=2", "--log_every=1"]


def test_settings_declare_every_flag_of_run_py_and_how_it_ran():
  fields = [field.name for field in dataclasses.fields(settings.Settings)]
  assert fields == [*flags_core.FLAG_MODES, "command", "explicit"]
  values = parse_settings("--steps=5", "--images=a.png")
  assert (values.steps, values.batch_size, values.images) == (5, presets.DEFAULT_BATCH_SIZE,
                                                              ["a.png"])
  assert values.explicit == {"steps", "images"} and values.given("batch_size") is None


def test_a_misspelled_setting_fails_where_settings_are_built():
  with pytest.raises(TypeError, match="model_dri"):
    settings.Settings(**{**vars(parse_settings()), "model_dri": "runs/a"})
  with pytest.raises(TypeError, match="model_dir"):
    settings.Settings(**{name: value for name, value in vars(parse_settings()).items()
                         if name != "model_dir"})


def test_settings_are_frozen():
  values = parse_settings("--steps=5")
  with pytest.raises(dataclasses.FrozenInstanceError):
    values.steps = 6  # pylint: disable=assigning-non-slot
  with pytest.raises(dataclasses.FrozenInstanceError):
    values.stpes = 6  # pylint: disable=assigning-non-slot


def test_preset_recipe_sets_the_defaults():
  values = parse_settings("--preset=keras_cnn")
  assert settings.model_params(values) == {"preset": "keras_cnn", "optimizer": "adam",
                                              "learning_rate": 0.001}
  assert settings.training_plan(values, "keras_cnn", 42_000) == settings.TrainingPlan(
      batch_size=128, steps=3938, max_steps=None, eval_every=329)


def test_explicit_flags_win_over_the_preset():
  values = parse_settings("--preset=tf_tutorial", "--optimizer=adam", "--learning_rate=0.01",
                            "--dropout_pool2=0.1", "--batch_size=100", "--max_steps=7")
  params = settings.model_params(values)
  assert params == {**presets.DEFAULT_PARAMS, "preset": "tf_tutorial", "conv_blocks": 2,
                    "dropout_pool2": 0.1, "dropout_pool3": 0.0, "learning_rate": 0.01}
  # --batch_size=100 is the flag's default value, yet given, so it beats the recipe's 400.
  assert settings.training_plan(values, "tf_tutorial", 60_000) == settings.TrainingPlan(
      batch_size=100, steps=None, max_steps=7, eval_every=500)
  values = parse_settings("--preset=bn_cnn", "--eval_every=500")
  assert settings.training_plan(values, "bn_cnn", 50_000).eval_every == 500
  assert settings.training_plan(parse_settings("--preset=bn_cnn"), "bn_cnn", 50_000).eval_every == 250


def test_network_flags_of_another_network_are_refused():
  with pytest.raises(UserError, match="--conv_blocks does not apply to --preset=mlp"):
    settings.model_params(parse_settings("--preset=mlp", "--conv_blocks=2"))


def test_saved_preset_is_kept_unless_another_is_given():
  saved = {"preset": "small_cnn", "optimizer": "adam", "learning_rate": 0.005}
  assert settings.model_params(parse_settings(), saved) == saved
  assert settings.model_params(parse_settings("--preset=mlp"), saved) == {
      "preset": "mlp", "optimizer": "adam", "learning_rate": 0.001}
  # params.json written before presets existed holds the blog's network.
  assert settings.model_params(parse_settings(), {"conv_blocks": 2}) == {
      **presets.DEFAULT_PARAMS, "preset": "blog_cnn", "conv_blocks": 2}


@pytest.mark.parametrize("args,preset,train_size,steps", [
    ([], "blog_cnn", 60_000, 1500),
    ([], "tf_tutorial", 60_000, 200_000),
    ([], "keras_cnn", 42_000, 3938),  # 12 x 42,000 / 128 = 3937.5
    ([], "small_cnn", 1000, 1563),  # 100 x 1,000 / 64 = 1562.5
    ([], "bn_cnn", 50_000, 1000),
    ([], "mlp", 60_000, 9375),
    (["--epochs=2"], "keras_cnn", 42_000, 657),  # 656.25
    (["--epochs=2", "--batch_size=100"], "keras_cnn", 42_000, 840),
    (["--epochs=0.5"], "blog_cnn", 60_000, 300),
    (["--epochs=1.1"], "bn_cnn", 50_000, 1100),  # Not 1101: 1.1 * 50,000 / 50 = 1100.0000000000002
])
def test_epochs_convert_to_steps(args, preset, train_size, steps):
  values = parse_settings(f"--preset={preset}", *args)
  assert settings.step_budget(values, preset, train_size) == (steps, None)


@pytest.mark.parametrize("args", [["--steps=5"], ["--max_steps=5"]])
def test_epochs_exclude_steps(args):
  with pytest.raises(flags.IllegalFlagValueError, match="--epochs excludes --steps"):
    parse_settings("--epochs=1", *args)


def test_preset_is_saved_and_eval_rebuilds_its_network(fixture_data, tmp_path, capsys):
  common = [f"--data_dir={fixture_data}", f"--model_dir={tmp_path}"]
  assert run_in_process(*common, "--preset=keras_cnn", "--mode=train_and_eval", *TINY) == 0
  out = capsys.readouterr().out
  assert "step 2/2" in out and "(90 validation images)" in out
  with open(tmp_path / "params.json") as f:
    assert json.load(f)["preset"] == "keras_cnn"
  assert run_in_process(*common, "--mode=eval") == 0
  assert "global_step 2" in capsys.readouterr().out
  assert run_in_process(*common, "--mode=eval", "--preset=small_conv2") == 1
  assert "holds a checkpoint of another network" in capsys.readouterr().err


def test_train_and_eval_keeps_the_best_checkpoint(fixture_data, tmp_path, capsys, monkeypatch):
  bn_cnn = presets.PRESETS["bn_cnn"]
  small_split = presets.Split("5 images per class", "balanced", {"per_class": 5, "seed": 0})
  monkeypatch.setitem(presets.PRESETS, "bn_cnn",
                      bn_cnn._replace(recipe=bn_cnn.recipe._replace(split=small_split)))
  model_dir = tmp_path / "model"
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--preset=bn_cnn", "--mode=train_and_eval", "--eval_every=1", *TINY) == 0
  lines = [line.split() for line in capsys.readouterr().out.splitlines()
           if line.startswith("validation accuracy")]
  accuracies = {int(line[6]): float(line[2]) for line in lines}
  assert sorted(accuracies) == [1, 2]
  best_dir = model_dir / best.BEST_DIR
  with open(best_dir / best.BEST_FILE) as f:
    kept = json.load(f)
  assert kept["accuracy"] == pytest.approx(max(accuracies.values()), abs=1e-4)
  assert kept["step"] == min(step for step, accuracy in accuracies.items()
                             if accuracy == max(accuracies.values()))
  assert os.path.exists(best_dir / f"{kept['checkpoint']}.index")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={best_dir}",
                        "--mode=eval") == 0
  assert f"global_step {kept['step']}" in capsys.readouterr().out
