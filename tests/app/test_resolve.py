"""resolve: a training run resolved once, from the settings and the model_dir's state."""

import dataclasses

import pytest

from estimator_cnn.app import resolve
from estimator_cnn.data import idx_csv
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.model_dir import starting_point
from tests.helpers import TINY, parse_settings, run_in_process


@pytest.fixture(scope="module")
def dataset(fixture_data):
  return idx_csv.load_fashion_mnist(fixture_data)


def test_a_fresh_model_dir_resolves_to_the_flags_plan(dataset, tmp_path):
  run = resolve.training_run(parse_settings("--batch_size=20", "--steps=7"), str(tmp_path),
                             dataset)
  assert (run.model_dir, run.first_step, run.last_step) == (str(tmp_path), 0, 7)
  assert (run.plan.batch_size, run.params["preset"], run.continues_plan) == (20, "blog_cnn", False)
  assert run.recorded_plan == {"batch_size": 20, "last_step": 7}
  # blog_cnn's recipe holds no validation split: the test set is where it evaluates.
  assert run.evaluation.split == "test"
  assert len(run.evaluation.labels) == len(dataset.test_labels)
  assert len(run.data.train_labels) == len(dataset.train_labels)
  with pytest.raises(dataclasses.FrozenInstanceError):
    run.last_step = 8


def test_a_recipe_with_a_validation_split_evaluates_on_it(dataset, tmp_path):
  run = resolve.training_run(parse_settings("--preset=keras_cnn", "--batch_size=8", "--steps=2"),
                             str(tmp_path), dataset)
  assert run.evaluation.split == "validation"
  assert len(run.evaluation.labels) + len(run.data.train_labels) == len(dataset.train_labels)


def test_a_resumed_run_continues_the_recorded_plan_unless_told_not_to(fixture_data, dataset,
                                                                      tmp_path):
  # Trained to its plan's end, then a longer plan recorded: unfinished at its checkpoint.
  model_dir = str(tmp_path / "model")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        "--steps=2") == 0
  saved_params.save_params(model_dir, saved_params.load_params(model_dir),
                            {"batch_size": 10, "last_step": 9, "recipe": "fast"})
  run = resolve.training_run(parse_settings(), model_dir, dataset)
  assert (run.first_step, run.last_step, run.plan.batch_size) == (2, 9, 10)
  assert run.continues_plan and run.recipe_name == "fast"
  fresh = resolve.training_run(parse_settings(), model_dir, dataset, continue_plan=False)
  assert not fresh.continues_plan and fresh.last_step == 2 + fresh.plan.steps


def test_train_resolves_the_run_once(fixture_data, tmp_path, monkeypatch):
  calls = []
  for module, name in [(resolve, "training_run"), (starting_point, "training_start")]:
    function = getattr(module, name)
    monkeypatch.setattr(module, name,
                        lambda *args, _function=function, _name=name, **kwargs: (
                            calls.append(_name), _function(*args, **kwargs))[1])
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={tmp_path}", *TINY,
                        "--steps=2", "--mode=train_and_eval") == 0
  assert calls == ["training_run", "training_start"]
