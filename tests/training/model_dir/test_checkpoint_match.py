"""check_checkpoint_matches: another network's or optimizer's checkpoint is refused in one line."""

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import checkpoint_match

EXPECTED = {"dense/kernel": [784, 10], "global_step": []}


def test_the_same_variables_and_shapes_are_taken():
  checkpoint_match.check_checkpoint_matches("m/model.ckpt-1", dict(EXPECTED), EXPECTED)


@pytest.mark.parametrize("stored,detail", [
    ({"dense/kernel": [784, 20], "global_step": []},
     "variable dense/kernel has shape [784, 20], this network needs [784, 10]"),
    ({"global_step": []}, "it lacks 1 variable(s) this network needs, e.g. dense/kernel"),
])
def test_another_network_is_refused(stored, detail):
  with pytest.raises(UserError) as error:
    checkpoint_match.check_checkpoint_matches("m/model.ckpt-1", stored, EXPECTED)
  assert str(error.value) == (f"m holds a checkpoint of another network or optimizer ({detail}): "
                              "use a fresh --model_dir or the flags it was trained with")
