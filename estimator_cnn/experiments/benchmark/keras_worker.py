"""The Keras systems' measurements: a Keras 3 copy of the blog's network, trained with model.fit.

This worker must stay on Keras 3: nothing it imports may import
estimator_cnn.base.tf_setup, estimator_cnn.estimator or estimator_cnn.model's
TensorFlow modules, which set TF_USE_LEGACY_KERAS=1 for tf.compat.v1.layers.
"""

import time

import keras
import tensorflow as tf

from estimator_cnn.data import idx_csv
from estimator_cnn.data import read_ahead
from estimator_cnn.experiments.benchmark import measures
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import presets

# The blog's network and optimizer: the shapes of estimator_cnn.model.networks.blog_cnn (which
# this worker can't import), the dropouts and learning rate of its preset.
BLOG_PARAMS = presets.PRESETS[presets.DEFAULT_PRESET].params
CONV_FILTERS = (32, 64, 128)
DROPOUTS_AFTER_POOL = (0.0, BLOG_PARAMS["dropout_pool2"], BLOG_PARAMS["dropout_pool3"])
DENSE_UNITS = 1024


def blog_network():
  """The blog's network as a Keras Sequential model, logits in float32."""
  layers = [keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1))]
  for filters, rate in zip(CONV_FILTERS, DROPOUTS_AFTER_POOL):
    layers += [keras.layers.Conv2D(filters, 5, padding="same", activation="relu"),
               keras.layers.MaxPooling2D(2)]
    if rate:
      layers.append(keras.layers.Dropout(rate))
  layers += [keras.layers.Flatten(), keras.layers.Dense(DENSE_UNITS, activation="relu"),
             keras.layers.Dropout(BLOG_PARAMS["dropout_dense"]),
             keras.layers.Dense(10, dtype=presets.FLOAT32)]
  return keras.Sequential(layers)


def _setup(spec):
  """(compiled model, dataset, training tf.data.Dataset, what ran) of a Keras system."""
  system = systems.SYSTEMS[spec["system"]]
  keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if system.dtype == presets.BFLOAT16
                                         else presets.FLOAT32)
  keras.utils.set_random_seed(spec["seed"])
  model = blog_network()
  model.compile(optimizer=keras.optimizers.Adam(BLOG_PARAMS["learning_rate"]),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
  dataset = idx_csv.with_unit_float_images(read_ahead.load(spec["data_dir"]))
  batches = (tf.data.Dataset.from_tensor_slices((dataset.train_images, dataset.train_labels))
             .shuffle(len(dataset.train_labels), seed=spec["seed"]).repeat()
             .batch(spec["batch_size"])
             .prefetch(tf.data.AUTOTUNE))
  emulated = system.dtype == presets.BFLOAT16 and not spec["bf16_native"]
  info = {"tensorflow": tf.__version__, "runtime": f"keras {keras.__version__}",
          "batch_size": spec["batch_size"],
          "dtype": (system.dtype + (systems.EMULATED if emulated else ""))}
  return model, dataset, batches, info


class BatchTimer(keras.callbacks.Callback):
  """Records perf_counter at the end of each training and each test batch."""

  def __init__(self):
    super().__init__()
    self.train_times, self.test_times = [], []

  def on_train_batch_end(self, batch, logs=None):
    self.train_times.append(time.perf_counter())

  def on_test_batch_end(self, batch, logs=None):
    self.test_times.append(time.perf_counter())


class StopAtTarget(keras.callbacks.Callback):
  """Records the validation accuracy after each epoch; stops training once it reaches target."""

  def __init__(self, target, eval_every):
    super().__init__()
    self.target, self.eval_every = target, eval_every
    self.curve, self.reached, self.eval_secs, self.eval_start = [], None, 0.0, None

  def on_test_begin(self, logs=None):
    self.eval_start = time.time()

  def on_test_end(self, logs=None):
    self.eval_secs += time.time() - self.eval_start

  def on_epoch_end(self, epoch, logs=None):
    accuracy = float(logs["val_accuracy"])
    self.curve.append([(epoch + 1) * self.eval_every, accuracy])
    if accuracy >= self.target:
      self.reached = {"step": (epoch + 1) * self.eval_every, "time": time.time()}
      self.model.stop_training = True


def throughput(spec):
  """Training and evaluation examples/s of a Keras system."""
  model, dataset, batches, info = _setup(spec)
  timer = BatchTimer()
  model.fit(batches, epochs=1, steps_per_epoch=spec["warmup_steps"] + spec["steps"],
            callbacks=[timer], verbose=0)
  model.evaluate(dataset.test_images, dataset.test_labels, batch_size=presets.EVAL_BATCH_SIZE,
                 callbacks=[timer], verbose=0)
  return measures.throughput_result(info, timer.train_times, timer.test_times,
                                    spec["warmup_steps"], presets.EVAL_BATCH_SIZE)


def time_to_accuracy(spec):
  """Fits, validating on the test set every spec["eval_every"] steps, until the target."""
  model, dataset, batches, info = _setup(spec)
  eval_every = spec["eval_every"]
  callback = StopAtTarget(spec["target"], eval_every)
  start = time.time()
  model.fit(batches, epochs=-(-spec["max_steps"] // eval_every), steps_per_epoch=eval_every,
            validation_data=(dataset.test_images, dataset.test_labels),
            validation_batch_size=presets.EVAL_BATCH_SIZE, callbacks=[callback], verbose=0)
  return measures.time_to_accuracy_result(info, callback.reached, callback.curve,
                                          time.time() - start - callback.eval_secs,
                                          callback.eval_secs)
