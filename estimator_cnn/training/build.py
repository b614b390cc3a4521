"""The Estimator of the model_fn, its input functions, and evaluating and predicting with it."""

import numpy as np

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.data import input_fn
from estimator_cnn.model import model_fn
from estimator_cnn.model import presets
from estimator_cnn.training import best


def make_estimator(model_dir, params, seed, log_every=100, save_checkpoints_steps=None,
                   train_distribute=None):
  """An Estimator of the model_fn; checkpoints as tf.estimator's defaults unless steps are given.

  train_distribute: a tf.distribute strategy for training (RunConfig's), or None.
  """
  every = {"save_checkpoints_steps": save_checkpoints_steps} if save_checkpoints_steps else {}
  run_config = tf_estimator.RunConfig(tf_random_seed=seed, log_step_count_steps=log_every,
                                      save_summary_steps=log_every,
                                      train_distribute=train_distribute, **every)
  return tf_estimator.Estimator(model_fn.model_fn, model_dir=model_dir, config=run_config,
                                params=params)


def train_input_fn(images, labels, batch_size, as_dataset=False):
  """Shuffled batches forever, resuming at the global step; as_dataset for tf.distribute."""
  return input_fn.numpy_input_fn({model_fn.FEATURE_KEY: images}, labels, batch_size=batch_size,
                                 num_epochs=None, shuffle=True, as_dataset=as_dataset)


def eval_input_fn(images, labels=None):
  """One pass in order, in batches of presets.EVAL_BATCH_SIZE."""
  return input_fn.numpy_input_fn({model_fn.FEATURE_KEY: images}, labels,
                                 batch_size=presets.EVAL_BATCH_SIZE)


def global_step(estimator):
  """The global step of the estimator's latest checkpoint, 0 when there is none."""
  return int(estimator.get_variable_value("global_step")) if estimator.latest_checkpoint() else 0


def print_metrics(estimator, split, metrics, num_images, checkpoint=None, keep_best=False):
  """Prints an evaluation's metrics in one line; keep_best keeps checkpoint in best/ if best."""
  line = (f"{split} accuracy {metrics['accuracy']:.4f}  loss {metrics['loss']:.4f}  "
          f"global_step {metrics['global_step']}  ({num_images} {split} images)")
  if keep_best and best.keep_if_best(estimator.model_dir, checkpoint, metrics):
    line += f"  best so far: copied to {best.best_dir(estimator.model_dir)}"
  print(line, flush=True)


def evaluate(estimator, images, labels, split="test", keep_best=False, hooks=None,
             checkpoint_path=None):
  """Metrics of checkpoint_path (default: the latest) on images, printed in one line.

  keep_best as print_metrics; hooks run in the evaluation's session. Evaluations
  of another split than "test" go to MODEL_DIR/eval_<split>.
  """
  metrics = estimator.evaluate(eval_input_fn(images, labels), hooks=hooks,
                               checkpoint_path=checkpoint_path,
                               name=None if split == "test" else split)
  print_metrics(estimator, split, metrics, len(labels),
                checkpoint_path or estimator.latest_checkpoint(), keep_best)
  return metrics


def predict_probabilities(estimator, images, checkpoint_path=None):
  """Class probabilities (N, 10) of checkpoint_path (default: the latest), in one predict pass."""
  batches = estimator.predict(eval_input_fn(images), predict_keys=["probabilities"],
                              checkpoint_path=checkpoint_path, yield_single_examples=False)
  return np.concatenate([batch["probabilities"] for batch in batches])
