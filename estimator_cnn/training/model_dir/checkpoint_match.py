"""A checkpoint checked against the network about to read it: the same variables and shapes."""

import os

from estimator_cnn.base.errors import UserError


def check_checkpoint_matches(checkpoint, stored, expected):
  """Raises UserError when the checkpoint's {variable: shape}, stored, are not those of the network
  expected: another network's or optimizer's."""
  missing = sorted(set(expected) - set(stored))
  different = sorted(name for name, shape in expected.items()
                     if name in stored and list(stored[name]) != shape)
  if missing or different:
    detail = (f"variable {different[0]} has shape {stored[different[0]]}, this network needs "
              f"{expected[different[0]]}" if different
              else f"it lacks {len(missing)} variable(s) this network needs, e.g. {missing[0]}")
    raise UserError(f"{os.path.dirname(checkpoint)} holds a checkpoint of another network or "
                    f"optimizer ({detail}): use a fresh --model_dir or the flags it was "
                    "trained with")
