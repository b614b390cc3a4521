"""What a training starts from in its model_dir: params.json's params and plan, and the checkpoint
it resumes from."""

import typing

from estimator_cnn.training.model_dir import checkpoint_lookup
from estimator_cnn.training.model_dir import saved_params


class Start(typing.NamedTuple):
  """What training's start reads from model_dir (training_start)."""
  params: dict  # params.json's model params, {} when there is none.
  plan: typing.Optional[dict]  # Its training plan, None when there is none.
  checkpoint: typing.Optional[str]  # The one resumed from; None: training starts afresh.
  shapes: typing.Optional[dict]  # The checkpoint's {variable: shape}; None without one.
  damaged: dict  # {checkpoint: why} of those found damaged before it, which set_aside renames.


def training_start(model_dir):
  """What training's start needs from model_dir, each file read once, as a Start.

  The checkpoint is checkpoint_lookup.checkpoint_to_resume's. Raises UserError when
  params.json or its plan is unreadable or wrong, when checkpoints exist but none is
  readable, or when they are another tool's.
  """
  saved = saved_params.load_params_and_plan(model_dir)
  resumable = checkpoint_lookup.checkpoint_to_resume(model_dir)
  return Start(saved.params, saved.plan, resumable.checkpoint, resumable.shapes, resumable.damaged)
