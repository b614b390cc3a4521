"""Presets: parameter counts, a tiny Estimator run of each, batch norm by mode, recipes, splits."""

import functools
import json
import os

from absl import flags
import numpy as np
import pytest

from estimator_cnn import config
from estimator_cnn import driver
from estimator_cnn import estimator as tf_estimator
from estimator_cnn import model
from estimator_cnn import presets
from estimator_cnn.compat import tf
from estimator_cnn.errors import UserError
from flags import core as flags_core
from tests import idx_fixtures
from tests.test_model import build_graph
from tests.test_run import run_in_process

v1 = tf.compat.v1
ModeKeys = tf_estimator.ModeKeys
# (trainable, total): the total adds batch norm's moving means and variances.
PARAMETERS = {
    "blog_cnn": (1_447_946, 1_447_946),
    "tf_tutorial": (3_274_634, 3_274_634),
    "keras_cnn": (1_199_882, 1_199_882),
    "small_cnn": (31_626, 31_626),
    "bn_cnn": (3_452_874, 3_467_402),
    "mlp": (101_770, 101_770),
    "small_conv2": (421_642, 421_642),
}
TINY = ["--batch_size=8", "--steps=2", "--log_every=1"]


def parse_flags(*args):
  flag_values = flags.FlagValues()
  flags_core.define_all(flag_values)
  flag_values(["run.py", *args])
  return flag_values


def fixture_arrays(num):
  images, labels = idx_fixtures.make_images(num, seed=0)
  return images.astype(np.float32) / 255, labels.astype(np.int32)


def test_presets_are_the_flag_choices_and_networks():
  assert flags_core.PRESETS == tuple(presets.PRESETS) == tuple(model.NETWORKS)


@pytest.mark.parametrize("preset,expected", PARAMETERS.items())
def test_parameter_counts_match_the_published_networks(preset, expected):
  assert model.parameter_counts({"preset": preset}) == expected


@pytest.mark.parametrize("preset", PARAMETERS)
def test_each_preset_trains_evaluates_and_predicts(preset, tmp_path):
  images, labels = fixture_arrays(40)
  estimator = driver.make_estimator(str(tmp_path), presets.PRESETS[preset].params, seed=1)
  estimator.train(driver.train_input_fn(images, labels, batch_size=8), max_steps=2)
  metrics = estimator.evaluate(driver.eval_input_fn(images[:16], labels[:16]))
  assert metrics["global_step"] == 2 and 0 <= metrics["accuracy"] <= 1
  assert np.isfinite(metrics["loss"])
  probabilities = driver.predict_probabilities(estimator, images[:3])
  assert probabilities.shape == (3, 10)
  np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
  scopes = {name.split("/")[0] for name in estimator.get_variable_names() if "/" in name}
  if model.NETWORKS[preset] is model.blog_cnn:
    assert {"conv1", "conv2", "dense", "logits"} <= scopes
  else:
    assert scopes == {preset}


@pytest.mark.parametrize("mode", [ModeKeys.TRAIN, ModeKeys.EVAL])
def test_batch_norm_updates_moving_statistics_in_train_only(mode):
  graph, spec, images, labels = build_graph(mode, {"preset": "bn_cnn"})
  feed = {images: np.random.RandomState(0).rand(8, 28, 28), labels: np.arange(8) % 10}
  with graph.as_default(), v1.Session() as session:
    session.run([v1.global_variables_initializer(), v1.local_variables_initializer()])
    moving_mean, = [v for v in v1.global_variables() if v.op.name == "bn_cnn/conv1_bn/moving_mean"]
    before = session.run(moving_mean)
    step = spec.train_op if mode == ModeKeys.TRAIN else [spec.loss, spec.eval_metric_ops]
    session.run(step, feed)
    after = session.run(moving_mean)
    update_ops = graph.get_collection(v1.GraphKeys.UPDATE_OPS)
  assert len(update_ops) == (12 if mode == ModeKeys.TRAIN else 0)  # 6 layers x (mean, variance).
  assert np.array_equal(before, after) == (mode == ModeKeys.EVAL)


def test_batch_norm_predicts_each_image_with_moving_statistics():
  graph, spec, images, _ = build_graph(ModeKeys.PREDICT, {"preset": "bn_cnn"})
  batch = np.random.RandomState(1).rand(6, 28, 28)
  with graph.as_default(), v1.Session() as session:
    session.run(v1.global_variables_initializer())
    alone = session.run(spec.predictions["probabilities"], {images: batch[:1]})
    in_batch = session.run(spec.predictions["probabilities"], {images: batch})
  np.testing.assert_allclose(alone[0], in_batch[0], rtol=1e-5)


def test_preset_recipe_sets_the_defaults():
  flag_values = parse_flags("--preset=keras_cnn")
  assert config.model_params(flag_values) == {"preset": "keras_cnn", "optimizer": "adam",
                                              "learning_rate": 0.001}
  assert config.training_plan(flag_values, "keras_cnn", 42_000) == config.TrainingPlan(
      batch_size=128, steps=3938, max_steps=None, eval_every=329)


def test_explicit_flags_win_over_the_preset():
  flag_values = parse_flags("--preset=tf_tutorial", "--optimizer=adam", "--learning_rate=0.01",
                            "--dropout_pool2=0.1", "--batch_size=100", "--max_steps=7")
  params = config.model_params(flag_values)
  assert params == {**model.DEFAULT_PARAMS, "preset": "tf_tutorial", "conv_blocks": 2,
                    "dropout_pool2": 0.1, "dropout_pool3": 0.0, "learning_rate": 0.01}
  # --batch_size=100 is the flag's default value, yet given, so it beats the recipe's 400.
  assert config.training_plan(flag_values, "tf_tutorial", 60_000) == config.TrainingPlan(
      batch_size=100, steps=None, max_steps=7, eval_every=500)
  flag_values = parse_flags("--preset=bn_cnn", "--eval_every=500")
  assert config.training_plan(flag_values, "bn_cnn", 50_000).eval_every == 500
  assert config.training_plan(parse_flags("--preset=bn_cnn"), "bn_cnn", 50_000).eval_every == 250


def test_network_flags_of_another_network_are_refused():
  with pytest.raises(UserError, match="--conv_blocks does not apply to --preset=mlp"):
    config.model_params(parse_flags("--preset=mlp", "--conv_blocks=2"))


def test_saved_preset_is_kept_unless_another_is_given():
  saved = {"preset": "small_cnn", "optimizer": "adam", "learning_rate": 0.005}
  assert config.model_params(parse_flags(), saved) == saved
  assert config.model_params(parse_flags("--preset=mlp"), saved) == {
      "preset": "mlp", "optimizer": "adam", "learning_rate": 0.001}
  # params.json written before presets existed holds the blog's network.
  assert config.model_params(parse_flags(), {"conv_blocks": 2}) == {
      **model.DEFAULT_PARAMS, "preset": "blog_cnn", "conv_blocks": 2}


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
  flag_values = parse_flags(f"--preset={preset}", *args)
  assert config.step_budget(flag_values, preset, train_size) == (steps, None)


@pytest.mark.parametrize("args", [["--steps=5"], ["--max_steps=5"]])
def test_epochs_exclude_steps(args):
  with pytest.raises(flags.IllegalFlagValueError, match="--epochs excludes --steps"):
    parse_flags("--epochs=1", *args)


def test_last_fraction_split_holds_out_the_tail_as_keras_does():
  train, validation = presets.last_fraction_split(60_000, 0.3)
  np.testing.assert_array_equal(train, np.arange(42_000))
  np.testing.assert_array_equal(validation, np.arange(42_000, 60_000))


def test_first_examples_split():
  train, validation = presets.first_examples_split(60_000, 1000, 1000)
  np.testing.assert_array_equal(train, np.arange(1000))
  np.testing.assert_array_equal(validation, np.arange(1000, 2000))
  with pytest.raises(UserError, match="has only 1,999"):
    presets.first_examples_split(1999, 1000, 1000)


def test_balanced_split_is_balanced_disjoint_and_seeded():
  labels = np.random.default_rng(3).permutation(np.arange(60_000) % 10)
  train, validation = presets.balanced_split(labels, per_class=1000, seed=0)
  assert len(train) == 50_000 and len(validation) == 10_000
  np.testing.assert_array_equal(np.bincount(labels[validation]), [1000] * 10)
  np.testing.assert_array_equal(np.sort(np.concatenate([train, validation])), np.arange(60_000))
  np.testing.assert_array_equal(presets.balanced_split(labels, 1000, seed=0)[1], validation)
  assert not np.array_equal(presets.balanced_split(labels, 1000, seed=1)[1], validation)
  with pytest.raises(UserError, match="1,000 images of each class"):
    presets.balanced_split(labels[:9000], per_class=1000, seed=0)


def test_training_data_follows_the_recipe():
  images, labels = fixture_arrays(100)
  data = presets.training_data(presets.PRESETS["keras_cnn"].recipe, images, labels)
  np.testing.assert_array_equal(data.train_images, images[:70])
  np.testing.assert_array_equal(data.validation_labels, labels[70:])
  data = presets.training_data(presets.PRESETS["mlp"].recipe, images, labels)
  assert data.train_images is images and data.validation_images is None


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
  small_split = presets.Split("5 images per class", functools.partial(
      presets.balanced_split, per_class=5, seed=0))
  monkeypatch.setitem(presets.PRESETS, "bn_cnn",
                      bn_cnn._replace(recipe=bn_cnn.recipe._replace(split=small_split)))
  model_dir = tmp_path / "model"
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--preset=bn_cnn", "--mode=train_and_eval", "--eval_every=1", *TINY) == 0
  lines = [line.split() for line in capsys.readouterr().out.splitlines()
           if line.startswith("validation accuracy")]
  accuracies = {int(line[6]): float(line[2]) for line in lines}
  assert sorted(accuracies) == [1, 2]
  best_dir = model_dir / presets.BEST_DIR
  with open(best_dir / presets.BEST_FILE) as f:
    best = json.load(f)
  assert best["accuracy"] == pytest.approx(max(accuracies.values()), abs=1e-4)
  assert best["step"] == min(step for step, accuracy in accuracies.items()
                             if accuracy == max(accuracies.values()))
  assert os.path.exists(best_dir / f"{best['checkpoint']}.index")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={best_dir}",
                        "--mode=eval") == 0
  assert f"global_step {best['step']}" in capsys.readouterr().out
