"""A training run resolved once: the settings and the model_dir's state, before any work.

`training_run` turns the settings (app.settings) and what the model_dir holds
(params.json, its plan, the checkpoint training resumes from) into a ResolvedRun:
the model params, the preset's recipe, the data split, the plan and its last
step, and where to evaluate. --mode=train and every cluster task take it; nothing
after re-derives a part of it. `checked_params` is the part the checkpoint modes
(eval, predict, export) need.
"""

import dataclasses
import os
import typing

import numpy as np

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.data import splits
from estimator_cnn.model import model_fn
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets
from estimator_cnn.training.model_dir import checkpoint_files
from estimator_cnn.training.model_dir import checkpoint_match
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.model_dir import starting_point


def checked_params(settings, model_dir, stored, saved=None, checkpoint=None):
  """The model params of settings over model_dir's saved ones; raises UserError when a saved
  one breaks its rule (model.param_rules), then when the checkpoint's {variable: shape},
  stored, are another network's."""
  if saved:
    param_rules.check_saved(os.path.join(model_dir, saved_params.PARAMS_FILE), saved,
                            settings.explicit)
  params = settings_lib.model_params(settings, saved)
  if checkpoint:
    checkpoint_match.check_checkpoint_matches(checkpoint, stored, model_fn.variable_shapes(params))
  return params


def unfinished_plan(settings, recorded, global_step):
  """The plan params.json records, recorded, if training continues it, else None.

  Training continues it while global_step is short of its last step, unless a flag
  of settings_lib.PLAN_FLAGS sets another plan.
  """
  if settings.explicit & set(settings_lib.PLAN_FLAGS):
    return None
  return recorded if recorded and global_step < recorded["last_step"] else None


class Evaluation(typing.NamedTuple):
  """The images a training evaluates on between its chunks: the recipe's validation split, else
  the test set."""
  images: np.ndarray
  labels: np.ndarray
  split: str  # "validation" or "test".


@dataclasses.dataclass(frozen=True)
class ResolvedRun:
  """One training run, resolved before any work (training_run)."""
  model_dir: str
  start: starting_point.Start  # What model_dir held: params.json, the checkpoint resumed from.
  params: dict  # The model params; a learning-rate schedule ends at last_step.
  recipe: presets.Recipe
  data: splits.TrainingData
  plan: settings_lib.TrainingPlan
  first_step: int  # The global step of the checkpoint resumed from, else 0.
  last_step: int  # The absolute global step the run trains to.
  recipe_name: typing.Optional[str]  # --recipe's, or the continued plan's.
  continues_plan: bool  # Whether it continues the unfinished plan params.json records.
  evaluation: Evaluation

  @property
  def recorded_plan(self):
    """The plan params.json records, so that a bare --model_dir continues it."""
    return {"batch_size": self.plan.batch_size, "last_step": self.last_step,
            **({"recipe": self.recipe_name} if self.recipe_name else {})}


def training_run(settings, model_dir, dataset, continue_plan=True):
  """The ResolvedRun of settings in model_dir, trained on dataset (data.idx_csv's).

  Reads model_dir once (model_dir.starting_point.training_start). With continue_plan, an
  unfinished plan params.json records goes on (unfinished_plan). Raises UserError for
  saved params, a checkpoint or a plan that do not fit the settings.
  """
  start = starting_point.training_start(model_dir)
  params = checked_params(settings, model_dir, start.shapes, start.params, start.checkpoint)
  recipe = presets.PRESETS[params["preset"]].recipe
  data = splits.training_data(recipe.split, dataset.train_images, dataset.train_labels,
                              settings.train_subset)
  first_step = checkpoint_files.checkpoint_step(start.checkpoint) if start.checkpoint else 0
  unfinished = unfinished_plan(settings, start.plan, first_step) if continue_plan else None
  plan = settings_lib.training_plan(settings, params["preset"], len(data.train_labels),
                                    unfinished)
  last_step = plan.max_steps if plan.max_steps is not None else first_step + plan.steps
  if data.validation_labels is None:
    evaluation = Evaluation(dataset.test_images, dataset.test_labels, "test")
  else:
    evaluation = Evaluation(data.validation_images, data.validation_labels, "validation")
  return ResolvedRun(
      model_dir=model_dir, start=start, params=settings_lib.schedule_ending_at(params, last_step),
      recipe=recipe, data=data, plan=plan, first_step=first_step, last_step=last_step,
      recipe_name=unfinished.get("recipe") if unfinished else settings.recipe,
      continues_plan=bool(unfinished), evaluation=evaluation)
