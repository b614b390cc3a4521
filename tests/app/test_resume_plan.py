"""Resume keeps the plan: params.json records it, and a bare --model_dir continues it."""

import json
import signal

import pytest

from estimator_cnn.app import resolve
from estimator_cnn.app import settings as settings_lib
from estimator_cnn.app import train
from estimator_cnn.base import cpu
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import presets
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.model_dir import starting_point
from tests.helpers import parse_settings, run_in_process, sigint_after

INTERRUPTED = 128 + signal.SIGINT
PLAN = {"batch_size": 10, "last_step": 12}


@pytest.fixture
def batch_sizes(monkeypatch):
  """The batch size of each training run, as train.train hands it to its input_fn."""
  sizes, train_input_fn_of = [], build.train_input_fn

  def train_input_fn(images, labels, batch_size):
    sizes.append(batch_size)
    return train_input_fn_of(images, labels, batch_size)

  monkeypatch.setattr(train.build, "train_input_fn", train_input_fn)
  return sizes


def _interrupted(monkeypatch, after_steps, *args):
  """Runs args, stopped by SIGINT after `after_steps` steps; returns the exit code."""
  with monkeypatch.context() as patch:
    patch.setattr(train, "ProgressHook", sigint_after(after_steps))
    return run_in_process(*args)


def test_a_bare_model_dir_continues_the_interrupted_plan_then_adds_the_presets_budget(
    fixture_data, tmp_path, capsys, monkeypatch, batch_sizes):
  model_dir = str(tmp_path / "model")
  common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}"]
  assert _interrupted(monkeypatch, 3, *common, "--conv_blocks=2", "--batch_size=10",
                      "--max_steps=12", "--log_every=4") == INTERRUPTED
  assert "resume with: python run.py" in capsys.readouterr().err
  params = saved_params.load_params(model_dir)
  assert starting_point.training_start(model_dir).plan == PLAN and "plan" not in params

  assert run_in_process(*common) == 0
  out = capsys.readouterr().out
  assert out.splitlines()[1] == ("continuing the unfinished plan of params.json: up to global "
                                 "step 12, batch 10; pass --steps or --max_steps for another")
  assert "step 12/12" in out and "global_step 12  (100 test images)" in out
  assert starting_point.training_start(model_dir).plan == PLAN
  assert saved_params.load_params(model_dir) == params

  # The plan is finished: --model_dir alone adds the preset's budget, with its batch size.
  blog_cnn = presets.PRESETS["blog_cnn"]
  monkeypatch.setitem(presets.PRESETS, "blog_cnn", blog_cnn._replace(
      recipe=blog_cnn.recipe._replace(steps=4, batch_size=30)))
  assert run_in_process(*common) == 0
  out = capsys.readouterr().out
  assert "continuing" not in out and "step 16/16" in out
  assert starting_point.training_start(model_dir).plan == {"batch_size": 30, "last_step": 16}
  assert batch_sizes == [10, 10, 30]


def test_a_resumed_recipe_ends_its_schedule_where_the_uninterrupted_one_does(
    fixture_data, tmp_path, capsys, monkeypatch):
  monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx512f"}))
  recipe = ["--recipe=fast", "--conv_blocks=2", "--batch_size=10", "--steps=8"]
  whole, resumed = tmp_path / "whole", tmp_path / "resumed"
  data = f"--data_dir={fixture_data}"
  assert run_in_process(data, f"--model_dir={whole}", *recipe) == 0
  assert _interrupted(monkeypatch, 3, data, f"--model_dir={resumed}", *recipe) == INTERRUPTED
  assert run_in_process(data, f"--model_dir={resumed}") == 0
  assert ("continuing the unfinished plan of params.json: up to global step 8, batch 10, "
          "--recipe=fast; ") in capsys.readouterr().out
  saved = (resumed / "params.json").read_text()
  assert saved == (whole / "params.json").read_text()
  assert json.loads(saved)["decay_steps"] == 8
  # A new budget given on a trained model_dir: the schedule ends at its last global step.
  assert run_in_process(data, f"--model_dir={resumed}", "--recipe=fast", "--batch_size=10",
                        "--steps=2") == 0
  assert saved_params.load_params(resumed)["decay_steps"] == 10
  assert starting_point.training_start(resumed).plan == {"batch_size": 10, "last_step": 10,
                                                        "recipe": "fast"}


@pytest.mark.parametrize("flag", [f"--{name}={value}" for name, value in zip(
    settings_lib.PLAN_FLAGS, ["2", "20", "1", "10", "fast"])])
def test_any_plan_flag_sets_a_new_plan(flag):
  assert resolve.unfinished_plan(parse_settings(), PLAN, 3) == PLAN
  assert resolve.unfinished_plan(parse_settings(flag), PLAN, 3) is None


def test_a_finished_plan_or_none_is_not_continued(tmp_path):
  assert resolve.unfinished_plan(parse_settings(), PLAN, 12) is None
  saved_params.save_params(str(tmp_path), {"preset": "blog_cnn"})  # As before plans were saved.
  start = starting_point.training_start(str(tmp_path))
  assert start.params == {"preset": "blog_cnn"} and start.plan is None
  assert resolve.unfinished_plan(parse_settings(), start.plan, 3) is None


@pytest.mark.parametrize("plan", [[], {"batch_size": 10}, {"batch_size": "10", "last_step": 12},
                                  {"batch_size": 10, "last_step": 0}])
def test_a_damaged_plan_is_one_line(tmp_path, plan):
  (tmp_path / "params.json").write_text(json.dumps({"preset": "blog_cnn", "plan": plan}))
  with pytest.raises(UserError, match=r"params.json: plan.*: correct it there, or delete the "
                     "'plan' entry and pass --steps or --max_steps"):
    starting_point.training_start(str(tmp_path))
  assert saved_params.load_params(str(tmp_path)) == {"preset": "blog_cnn"}
