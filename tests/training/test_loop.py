"""The training loop: its chunks, from where it resumes or aligned, and a callback that ends it."""

import numpy as np
import pytest

from estimator_cnn.model import presets
from estimator_cnn.training import build
from estimator_cnn.training import loop

PARAMS = {**presets.DEFAULT_PARAMS, "conv_blocks": 2, "optimizer": "gradient_descent",
          "learning_rate": 0.01}


@pytest.mark.parametrize("steps,interval,ends", [(6, 3, [3, 6]), (7, 3, [3, 6, 7]), (2, 5, [2])])
def test_chunk_ends_every_interval_and_at_the_last_step(steps, interval, ends):
  assert loop.chunk_ends(steps, interval) == ends


@pytest.fixture(name="train_to")
def fixture_train_to(tmp_path):
  """Trains a tiny network in tmp_path to a step: a function of (last_step, loop.train's
  keywords) that returns the steps the callback saw."""
  estimator = build.make_estimator(str(tmp_path), PARAMS, seed=1)
  rng = np.random.default_rng(0)
  input_fn = build.train_input_fn(rng.random((40, 28, 28), np.float32),
                                  rng.integers(0, 10, 40).astype(np.int32), 10)

  def train_to(last_step, **keywords):
    seen = []
    ends_at = keywords.pop("ends_at", None)

    def evaluate(step):
      seen.append(step)
      return step == ends_at

    assert loop.train(estimator, input_fn, PARAMS, last_step, evaluate=evaluate,
                      **keywords) is None
    return seen

  return train_to


def test_chunks_count_from_the_resumed_step_or_from_step_0_when_aligned(train_to):
  assert train_to(2) == []  # No chunks: no callback.
  assert train_to(7, evaluate_every=3) == [5, 7]
  assert train_to(12, evaluate_every=3, aligned=True) == [9, 12]


def test_a_callback_that_returns_true_ends_training(train_to, tmp_path):
  assert train_to(9, evaluate_every=2, ends_at=4) == [2, 4]
  assert build.global_step(build.make_estimator(str(tmp_path), PARAMS, seed=1)) == 4
