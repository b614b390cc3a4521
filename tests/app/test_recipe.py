"""--recipe and --dtype: the defaults they set, flags that win, and the learning-rate schedule."""

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.app import settings
from estimator_cnn.base import cpu
from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import model_fn
from estimator_cnn.model import precision
from estimator_cnn.model import presets
from tests import idx_fixtures
from tests.helpers import parse_run_flags, parse_settings, run_in_process

v1 = tf.compat.v1
FAST = presets.TUNED_RECIPES["fast"]


def test_flag_choices_match_the_library():
  assert parse_run_flags()["dtype"].parser.enum_values == list(presets.DTYPES)
  assert all(recipe.get("lr_schedule", "constant") in presets.LR_SCHEDULES
             for recipe in presets.TUNED_RECIPES.values())


def test_recipe_sets_the_defaults():
  values = parse_settings("--recipe=fast")
  params = settings.model_params(values)
  assert params == {**presets.DEFAULT_PARAMS, "preset": "blog_cnn",
                    "learning_rate": FAST["learning_rate"], "lr_schedule": FAST["lr_schedule"],
                    "warmup_steps": FAST["warmup_steps"], "decay_steps": FAST["steps"],
                    "label_smoothing": FAST["label_smoothing"], "dtype": FAST["dtype"],
                    "conv_blocks": FAST["conv_blocks"], "dropout_pool2": 0.0, "dropout_pool3": 0.0,
                    "dropout_dense": 0.0}
  assert settings.training_plan(values, "blog_cnn", 60_000) == (
      FAST["batch_size"], FAST["steps"], None, FAST["eval_every"])


@pytest.mark.parametrize("budget,plan", [("--steps=700", (700, None)),
                                         ("--max_steps=900", (None, 900))])
def test_explicit_flags_win_over_the_recipe(budget, plan):
  values = parse_settings("--recipe=fast", "--learning_rate=0.01", "--batch_size=64",
                            "--dtype=float32", budget)
  params = settings.model_params(values)
  assert (params["learning_rate"], params["dtype"]) == (0.01, "float32")
  assert settings.training_plan(values, "blog_cnn", 60_000)[:3] == (64, *plan)


def test_without_recipe_or_dtype_params_are_the_presets():
  assert settings.model_params(parse_settings()) == {**presets.DEFAULT_PARAMS, "preset": "blog_cnn"}
  assert settings.model_params(parse_settings("--dtype=bfloat16"))["dtype"] == "bfloat16"


def test_recipe_of_another_preset_is_refused():
  with pytest.raises(UserError, match="--recipe=fast is for --preset=blog_cnn"):
    settings.model_params(parse_settings("--recipe=fast", "--preset=mlp"))


def _learning_rates(params, steps):
  graph = tf.Graph()
  with graph.as_default():
    global_step = v1.train.get_or_create_global_step()
    rate = model_fn.learning_rate(params)
    with v1.Session() as session:
      rates = []
      for step in steps:
        global_step.load(step, session)
        rates.append(session.run(rate))
  return rates


def test_warmup_cosine_rises_linearly_then_decays_to_zero():
  params = {"learning_rate": 0.004, "lr_schedule": "warmup_cosine", "warmup_steps": 100,
            "decay_steps": 1100}
  rates = _learning_rates(params, [0, 49, 99, 100, 600, 1100, 1500])
  np.testing.assert_allclose(rates, [0.00004, 0.002, 0.004, 0.004, 0.002, 0.0, 0.0],
                             atol=1e-7)


def test_cosine_without_warmup_starts_at_the_peak():
  params = {"learning_rate": 0.002, "lr_schedule": "warmup_cosine", "decay_steps": 100}
  np.testing.assert_allclose(_learning_rates(params, [0, 50, 100]), [0.002, 0.001, 0.0],
                             atol=1e-7)


def test_constant_is_the_learning_rate_and_unknown_schedules_are_refused():
  assert model_fn.learning_rate({"learning_rate": 0.003}) == 0.003
  with pytest.raises(ValueError, match="one_cycle"):
    _learning_rates({"learning_rate": 0.003, "lr_schedule": "one_cycle"}, [0])


def test_recipe_trains_and_saves_its_schedule(tmp_path, capsys, monkeypatch):
  monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx512f"}))
  monkeypatch.setitem(precision._state, "warned", False)  # pylint: disable=protected-access
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", 100, 50)
  model_dir = tmp_path / "model"
  assert run_in_process(f"--data_dir={data_dir}", f"--model_dir={model_dir}", "--recipe=fast",
                        "--batch_size=10", "--steps=3") == 0
  out = capsys.readouterr().out
  assert out.count(precision.FALLBACK_MESSAGE) == 1 and "test accuracy" in out
  estimator = tf_estimator.Estimator(model_fn.model_fn, model_dir=str(model_dir))
  assert estimator.get_variable_value("global_step") == 3
  saved = (model_dir / "params.json").read_text()
  assert '"lr_schedule": "warmup_cosine"' in saved and '"decay_steps": 3' in saved
  assert '"conv_blocks": 2' in saved
