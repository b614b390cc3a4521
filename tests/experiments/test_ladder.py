"""Ladders: the built-in studies, each rung's run.py command, and no TensorFlow imported."""

import os
import shlex
import subprocess
import sys

from absl import flags
import pytest

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.experiments.ablation import ladder as ladder_lib
from estimator_cnn.experiments.ablation import report
from estimator_cnn.flags import core as flags_core
from estimator_cnn.model import presets

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def test_builtin_ablation_ladder_is_the_blog_table():
  ladder = ladder_lib.load_ladder(study="ablation")
  rung1 = {"optimizer": "gradient_descent", "learning_rate": 0.001, "conv_blocks": 2,
           "dropout_pool2": 0.0, "dropout_pool3": 0.0, "dropout_dense": 0.4, "steps": 1000,
           "batch_size": 100, "train_subset": None}
  rung2 = {**rung1, "optimizer": "adam"}
  rung3 = {**rung2, "conv_blocks": 3}
  rung4 = {**rung3, "steps": 1500}
  rung5 = {**rung4, "dropout_pool2": 0.25, "dropout_pool3": 0.25}
  assert [rung.config for rung in ladder.rungs] == [rung1, rung2, rung3, rung4, rung5]
  assert [rung.number for rung in ladder.rungs] == [1, 2, 3, 4, 5]
  assert [rung.blog_accuracy for rung in ladder.rungs] == [
      (0.29, 0.29), (0.69, 0.69), (0.73, 0.73), (0.82, 0.82), (0.89, 0.90)]
  assert [rung.reference_accuracy for rung in ladder.rungs] == [
      (0.631, 0.635), (0.896, 0.896), (0.885, 0.889), (0.902, 0.899), (0.896, 0.900)]
  # The top rung is what run.py trains by default.
  assert rung5 == {**presets.DEFAULT_PARAMS, "steps": presets.DEFAULT_STEPS, "batch_size": 100,
                   "train_subset": None}
  assert (ladder.seeds, ladder.eval_every, ladder.train_accuracy) == (3, 100, False)


def test_builtin_optimizers_ladder_varies_only_the_optimizer_on_the_blogs_first_network():
  rung1 = ladder_lib.load_ladder(study="ablation").rungs[0].config
  rungs = ladder_lib.load_ladder(study="optimizers").rungs
  network = lambda c: {k: v for k, v in c.items() if k not in ("optimizer", "learning_rate")}
  assert all(network(rung.config) == network(rung1) for rung in rungs)
  assert [(r.config["optimizer"], r.config["learning_rate"]) for r in rungs] == [
      ("adam", 0.001), ("gradient_descent", 0.001), ("gradient_descent", 0.01),
      ("gradient_descent", 0.05), ("gradient_descent", 0.1), ("gradient_descent", 0.2)]
  # Its first two rungs are the blog's step from rung 1 to rung 2.
  assert [rungs[1].config, rungs[0].config] == [
      rung.config for rung in ladder_lib.load_ladder(study="ablation").rungs[:2]]


def test_builtin_dropouts_ladder_adds_one_dropout_per_rung_on_a_training_subset():
  ladder = ladder_lib.load_ladder(study="dropouts")
  rung5 = ladder_lib.load_ladder(study="ablation").rungs[4].config
  dropouts = [tuple(r.config[k] for k in ("dropout_dense", "dropout_pool2", "dropout_pool3"))
              for r in ladder.rungs]
  assert dropouts == [(0, 0, 0), (0.4, 0, 0), (0.4, 0.25, 0), (0.4, 0.25, 0.25)]
  # The last rung is the blog's network and recipe, trained longer on 10,000 images.
  assert ladder.rungs[-1].config == {**rung5, "steps": 2000, "train_subset": 10000}
  assert (ladder.seeds, ladder.eval_every, ladder.train_accuracy) == (2, 200, True)


@pytest.mark.parametrize("study", ladder_lib.STUDIES)
def test_run_py_command_of_each_rung_trains_the_same_config(study):
  assert set(ladder_lib.CONFIG_KEYS) == set(presets.DEFAULT_PARAMS) | {"steps", "batch_size",
                                                                      "train_subset"}
  for rung in ladder_lib.load_ladder(study=study).rungs:
    command = shlex.split(report.run_py_command(rung.config, 2, 100, "/data/fashion mnist"))
    assert command[:2] == ["python", "run.py"]
    flag_values = flags.FlagValues()
    flags_core.define_all(flag_values)
    flag_values(command[1:])
    settings = flags_core.settings(flag_values)
    params = settings_lib.model_params(settings)
    assert params.get("preset", presets.DEFAULT_PRESET) == presets.DEFAULT_PRESET
    assert {k: params[k] for k in presets.DEFAULT_PARAMS} == {
        k: rung.config[k] for k in presets.DEFAULT_PARAMS}
    assert settings_lib.step_budget(settings) == (rung.config["steps"], None)
    assert flag_values.train_subset == rung.config["train_subset"]
    assert (flag_values.batch_size, flag_values.seed, flag_values.mode, flag_values.eval_every,
            flag_values.data_dir) == (rung.config["batch_size"], 2, "train_and_eval", 100,
                                      "/data/fashion mnist")


def test_flags_and_plans_import_no_tensorflow():
  """The Keras 3 benchmark worker parses flags/studies.py's flags: they must not load TF."""
  code = ("import sys\n"
          "from estimator_cnn.experiments.ablation import __main__, ladder\n"
          "from estimator_cnn.experiments.presets_table import __main__, plan\n"
          "print(sorted(name for name in sys.modules\n"
          "             if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=True)
  assert result.stdout == "[]\n"
