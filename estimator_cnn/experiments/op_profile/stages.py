"""What a profile times: a training step or an evaluation batch. No TensorFlow here."""

from estimator_cnn.model import presets

TRAIN = "train"
EVAL = "eval"
STAGES = {TRAIN: "a training step (forward, backward, optimizer)",
          EVAL: "a batch of the test set's evaluation (forward, metrics)"}


def batch_size(stage, given, recipe):
  """The batch a step of the stage takes: given, else in training the recipe's or the preset's
  (presets.batch_size), in evaluation the Estimator's."""
  if stage == EVAL:
    return given or presets.EVAL_BATCH_SIZE
  return presets.batch_size(given, recipe)
