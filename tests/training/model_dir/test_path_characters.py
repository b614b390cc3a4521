"""A model_dir path TensorFlow would read as a file pattern is refused."""

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import path_characters


@pytest.mark.parametrize("model_dir", ["run[1]", "runs/a*", "run?", "C:\\run"])
def test_characters_tensorflow_reads_as_a_pattern_are_refused(model_dir):
  with pytest.raises(UserError, match=r"^--model_dir=.* holds .*, which TensorFlow reads as a "
                     r"file pattern when it looks up and deletes checkpoints: pick or rename a "
                     r"folder without \* \? \[ \\$"):
    path_characters.check_path_characters(model_dir)


@pytest.mark.parametrize("model_dir", ["run]1", "run{1}", "a b", "run-1.x"])
def test_other_characters_are_taken(model_dir):
  path_characters.check_path_characters(model_dir)
