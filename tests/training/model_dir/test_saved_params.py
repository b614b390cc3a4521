"""params.json: written whole, read with its plan apart, refused in one line when unreadable."""

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import saved_params

PLAN = {"batch_size": 20, "last_step": 10}


def test_params_and_plan_are_read_back_apart(tmp_path):
  saved_params.save_params(str(tmp_path), {"preset": "blog_cnn"}, PLAN)
  assert saved_params.load_params(str(tmp_path)) == {"preset": "blog_cnn"}
  assert saved_params.load_params_and_plan(str(tmp_path)) == ({"preset": "blog_cnn"}, PLAN)


def test_a_model_dir_without_params_json_has_none(tmp_path):
  assert saved_params.load_params_and_plan(str(tmp_path)) == saved_params.SavedParams({}, None)


@pytest.mark.parametrize("content,words", [("{", "is unreadable"),
                                           ("[1]", "does not hold a JSON object")])
def test_an_unreadable_params_json_is_one_line(tmp_path, content, words):
  (tmp_path / saved_params.PARAMS_FILE).write_text(content)
  with pytest.raises(UserError, match=words):
    saved_params.load_params(str(tmp_path))


def test_a_plan_that_breaks_its_rules_is_refused(tmp_path):
  saved_params.save_params(str(tmp_path), {"preset": "blog_cnn"}, {"batch_size": 20})
  with pytest.raises(UserError, match="plan lacks last_step"):
    saved_params.load_params_and_plan(str(tmp_path))
  assert saved_params.load_params(str(tmp_path)) == {"preset": "blog_cnn"}
