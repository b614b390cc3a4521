"""The real tf.estimator's canned classifiers and training features on tiny data: train,
evaluate, predict, SavedModel export, train_and_evaluate with BestExporter and early stopping,
warm start, Keras model_to_estimator and a MirroredStrategy RunConfig."""

import importlib
import os

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf

TRAIN_STEPS = 20
SEED = 1
PROBABILITY_ATOL = 1e-5


def _config(**kwargs):
  return tf_estimator.RunConfig(tf_random_seed=SEED, log_step_count_steps=None, **kwargs)


def _boosted_trees(columns, model_dir):
  cls = getattr(tf_estimator, "BoostedTreesClassifier", None) or getattr(
      tf_estimator.experimental, "BoostedTreesClassifier", None)
  if cls is None:
    pytest.skip("tensorflow-estimator 2.15 (TF 2.15's tf.estimator too) has no "
                "BoostedTreesClassifier, neither in tf.compat.v1.estimator nor in .experimental")
  buckets = [tf.feature_column.bucketized_column(columns[0], boundaries=[-1.0, 0.0, 1.0])]
  return cls(buckets, n_batches_per_layer=1, n_trees=2, max_depth=2, model_dir=model_dir,
             config=_config())


CLASSIFIERS = {
    "DNNClassifier": lambda columns, model_dir: tf_estimator.DNNClassifier(
        [4], columns, model_dir=model_dir, config=_config()),
    "LinearClassifier": lambda columns, model_dir: tf_estimator.LinearClassifier(
        columns, model_dir=model_dir, config=_config()),
    "DNNLinearCombinedClassifier": lambda columns, model_dir: (
        tf_estimator.DNNLinearCombinedClassifier(
            model_dir=model_dir, linear_feature_columns=columns, dnn_feature_columns=columns,
            dnn_hidden_units=[4], config=_config())),
    "BoostedTreesClassifier": _boosted_trees,
}


def _model_fn(features, labels, mode):
  """A linear softmax classifier of features["x"] built with tf.compat.v1 layers."""
  logits = tf.compat.v1.layers.dense(features["x"], 2)
  loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
  accuracy = tf.compat.v1.metrics.accuracy(labels, tf.argmax(logits, 1))
  train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
      loss, tf.compat.v1.train.get_global_step())
  return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                    eval_metric_ops={"accuracy": accuracy})


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_canned_classifier_trains_evaluates_predicts_and_exports(
    name, tmp_path, tiny_data, feature_columns, input_fns, parsing_serving_input_receiver_fn,
    serialize_examples):
  """A canned classifier trains, evaluates, predicts, and its exported SavedModel serves
  serialized tf.train.Examples with the probabilities predict gave."""
  classifier = CLASSIFIERS[name](feature_columns, str(tmp_path / "model"))

  classifier.train(input_fns.train, steps=TRAIN_STEPS)
  metrics = classifier.evaluate(input_fns.evaluate)
  predictions = list(classifier.predict(input_fns.predict))
  export_dir = classifier.export_saved_model(str(tmp_path / "export"),
                                             parsing_serving_input_receiver_fn)
  serving = tf.saved_model.load(export_dir).signatures["serving_default"]
  served = serving(inputs=tf.constant(serialize_examples(tiny_data.x[:5])))

  assert metrics["global_step"] == TRAIN_STEPS
  assert 0 <= metrics["accuracy"] <= 1
  assert len(predictions) == 5
  for prediction in predictions:
    assert prediction["class_ids"].shape == (1,)
    assert prediction["class_ids"][0] in (0, 1)
  np.testing.assert_allclose(served["scores"].numpy(),
                             np.stack([p["probabilities"] for p in predictions]),
                             atol=PROBABILITY_ATOL)


def test_train_and_evaluate_stops_early_and_best_exporter_exports(
    tmp_path, feature_columns, input_fns, parsing_serving_input_receiver_fn):
  """With a learning rate of 0 the eval loss never decreases, so stop_if_no_decrease_hook ends
  train_and_evaluate long before max_steps; BestExporter exported the first (best) model."""
  max_steps = 1000
  classifier = tf_estimator.LinearClassifier(
      feature_columns, model_dir=str(tmp_path / "model"),
      optimizer=tf.compat.v1.train.GradientDescentOptimizer(0.0),
      config=_config(save_checkpoints_steps=5))
  stop_hook = tf_estimator.experimental.stop_if_no_decrease_hook(
      classifier, "loss", max_steps_without_decrease=10, run_every_secs=None, run_every_steps=1)
  exporter = tf_estimator.BestExporter(
      name="best", serving_input_receiver_fn=parsing_serving_input_receiver_fn)

  metrics, _ = tf_estimator.train_and_evaluate(
      classifier, tf_estimator.TrainSpec(input_fns.train, max_steps=max_steps, hooks=[stop_hook]),
      tf_estimator.EvalSpec(input_fns.evaluate, steps=None, exporters=[exporter],
                            start_delay_secs=0, throttle_secs=0))

  global_step = classifier.get_variable_value("global_step")
  assert global_step < 30 < max_steps
  assert metrics["global_step"] == global_step
  export_base = os.path.join(classifier.model_dir, "export", "best")
  exports = os.listdir(export_base)
  assert len(exports) == 1
  assert os.path.isfile(os.path.join(export_base, exports[0], "saved_model.pb"))
  assert "serving_default" in tf.saved_model.load(os.path.join(export_base, exports[0])).signatures


def test_warm_start_from_model_dir_copies_the_trained_variables(tmp_path, feature_columns,
                                                                input_fns):
  """A DNNClassifier warm-started from another's model_dir starts from its trained weights (a
  learning rate of 0 keeps them) but not its global step; a cold start does not have them."""
  kernel = "dnn/hiddenlayer_0/kernel"
  first = tf_estimator.DNNClassifier([4], feature_columns, model_dir=str(tmp_path / "first"),
                                     config=_config())
  first.train(input_fns.train, steps=10)

  def untrained_copy(model_dir, **kwargs):
    estimator = tf_estimator.DNNClassifier(
        [4], feature_columns, model_dir=str(tmp_path / model_dir),
        optimizer=tf.compat.v1.train.GradientDescentOptimizer(0.0),
        config=tf_estimator.RunConfig(tf_random_seed=SEED + 1), **kwargs)
    estimator.train(input_fns.train, steps=1)
    return estimator

  warm = untrained_copy("warm", warm_start_from=first.model_dir)
  cold = untrained_copy("cold")

  np.testing.assert_array_equal(warm.get_variable_value(kernel), first.get_variable_value(kernel))
  assert not np.array_equal(cold.get_variable_value(kernel), first.get_variable_value(kernel))
  assert warm.get_variable_value("global_step") == 1


def test_keras_model_to_estimator_trains_and_evaluates(tmp_path, input_fns):
  """tf.keras (Keras 2: tf-keras on TF >= 2.16) model_to_estimator trains and evaluates."""
  model = tf.keras.Sequential([tf.keras.layers.Input((2,), name="x"),
                               tf.keras.layers.Dense(4, activation="relu"),
                               tf.keras.layers.Dense(2)])
  keras_package = importlib.import_module(type(model).__module__.partition(".")[0])
  assert keras_package.__version__.startswith("2."), keras_package
  model.compile(optimizer=tf.keras.optimizers.SGD(0.1),
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
  estimator = tf.keras.estimator.model_to_estimator(keras_model=model,
                                                    model_dir=str(tmp_path / "model"))

  estimator.train(input_fns.train, steps=10)
  metrics = estimator.evaluate(input_fns.evaluate)

  assert metrics["global_step"] == 10
  assert 0 <= metrics["accuracy"] <= 1 and np.isfinite(metrics["loss"])


def test_mirrored_strategy_run_config_trains_and_evaluates_on_cpu(tmp_path, input_fns):
  """RunConfig(train_distribute=MirroredStrategy(["/cpu:0"])) trains a custom model_fn under
  that strategy, then evaluates."""
  strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
  strategies_seen = []

  def model_fn(features, labels, mode):
    strategies_seen.append((mode, tf.distribute.get_strategy()))
    return _model_fn(features, labels, mode)

  estimator = tf_estimator.Estimator(model_fn, model_dir=str(tmp_path / "model"),
                                     config=_config(train_distribute=strategy))
  estimator.train(input_fns.train, steps=10)
  metrics = estimator.evaluate(input_fns.evaluate)

  mode, strategy_seen = strategies_seen[0]
  assert mode == tf_estimator.ModeKeys.TRAIN
  assert strategy_seen is estimator._train_distribution  # pylint: disable=protected-access
  assert isinstance(strategy_seen, tf.distribute.MirroredStrategy)
  assert strategy_seen.extended.worker_devices == strategy.extended.worker_devices
  assert metrics["global_step"] == 10
  assert 0 <= metrics["accuracy"] <= 1 and np.isfinite(metrics["loss"])
