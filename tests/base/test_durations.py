"""base.durations: seconds in words."""

import pytest

from estimator_cnn.base import durations


@pytest.mark.parametrize("seconds,words", [(42.4, "42s"), (185, "3m05s"), (7620, "2h07m"),
                                           (0, "0s")])
def test_durations_in_words(seconds, words):
  assert durations.format_duration(seconds) == words
