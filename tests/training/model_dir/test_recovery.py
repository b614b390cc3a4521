"""Recovery never makes things worse: for random damage to a model_dir's checkpoints and its
`checkpoint` index, and random spellings of the model_dir, no complete checkpoint is lost and
TensorFlow finds the one training resumes from (tests/training/model_dir/recovery_cases.py)."""

from hypothesis import given, settings
import pytest

from tests.training.model_dir import recovery_cases


@pytest.fixture(scope="module", name="base")
def fixture_base(tiny_model_dir, tmp_path_factory):
  return recovery_cases.make_base(tiny_model_dir, str(tmp_path_factory.mktemp("recovery")))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=recovery_cases.cases())
def test_recovery_keeps_every_complete_checkpoint_and_tensorflow_finds_the_resumed_one(base,
                                                                                       case):
  recovery_cases.check_case(base, case)


@pytest.mark.parametrize("spelling", recovery_cases.SPELLINGS)
@pytest.mark.parametrize("index_damage", ["none", "parent_paths", "binary"])
def test_the_latest_damaged_resumes_from_the_one_before_for_every_spelling(base, spelling,
                                                                           index_damage):
  """The issue's case: the latest checkpoint's data file emptied, model_dir relative..."""
  recovery_cases.check_case(base, (spelling, {0: "none", 10: "none", 20: "empty_data"},
                                   index_damage))
