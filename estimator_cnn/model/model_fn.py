"""The tf.estimator model_fn, split by mode; params["preset"] picks the network (model.presets)."""

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import networks
from estimator_cnn.model import precision
from estimator_cnn.model import presets
from estimator_cnn.model import sync_replicas

v1 = tf.compat.v1
FEATURE_KEY = "x"


def learning_rate(params):
  """params["learning_rate"], constant or scheduled on the global step by params["lr_schedule"].

  "warmup_cosine" rises linearly to params["learning_rate"] over params["warmup_steps"],
  then decays along a cosine to 0 at global step params["decay_steps"].
  """
  schedule = params.get("lr_schedule", presets.CONSTANT)
  if schedule == presets.CONSTANT:
    return params["learning_rate"]
  if schedule != presets.WARMUP_COSINE:
    raise ValueError(f"unknown lr_schedule {schedule!r}; schedules: "
                     f"{', '.join(presets.LR_SCHEDULES)}")
  step = tf.cast(v1.train.get_global_step(), tf.float32)
  warmup = float(params.get("warmup_steps", 0))
  decayed = v1.train.cosine_decay(params["learning_rate"], step - warmup,
                                  max(params["decay_steps"] - warmup, 1))
  if not warmup:
    return decayed
  return tf.where(step < warmup, params["learning_rate"] * (step + 1) / warmup, decayed)


def unit_range(images):
  """Images as floats in [0, 1]: uint8 pixels (0..255, as the data holds them) are scaled."""
  if images.dtype == tf.uint8:
    return tf.cast(images, tf.float32) / 255.0
  return images


def training_loss(labels, logits, params):
  """Cross-entropy against labels smoothed by params["label_smoothing"] (0: the one-hot labels)."""
  smoothing = params.get("label_smoothing", 0.0)
  if not smoothing:
    return v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
  return v1.losses.softmax_cross_entropy(tf.one_hot(labels, NUM_CLASSES), logits,
                                         label_smoothing=smoothing)


def model_fn(features, labels, mode, params, config=None):
  """Estimator model_fn: PREDICT yields classes and probabilities, EVAL accuracy, TRAIN the loss.

  With params["sync_replicas"] in a TF_CONFIG cluster of several trainers, the
  optimizer averages their gradients before each update (SyncReplicasOptimizer),
  up to global step params["max_steps"], where every trainer stops.
  """
  name = params.get("preset", presets.DEFAULT_PRESET)
  if name not in presets.PRESETS:
    raise ValueError(f"unknown preset {name!r}; presets: {', '.join(presets.PRESETS)}")
  preset = presets.PRESETS[name]
  params = {**preset.preset_params, **params}
  images = unit_range(features[FEATURE_KEY] if isinstance(features, dict) else features)
  logits = precision.float32_logits(getattr(networks, preset.network), images,
                                   precision.compute_dtype(params.get("dtype")), params,
                                   training=mode == tf_estimator.ModeKeys.TRAIN)
  predictions = {
      "classes": tf.argmax(logits, axis=1, name="classes"),
      "probabilities": tf.nn.softmax(logits, name="softmax_tensor"),
  }
  if mode == tf_estimator.ModeKeys.PREDICT:
    return tf_estimator.EstimatorSpec(
        mode, predictions=predictions,
        export_outputs={"serving_default": tf_estimator.export.PredictOutput(predictions)})

  if mode == tf_estimator.ModeKeys.TRAIN:
    loss = training_loss(labels, logits, params)
    optimizer_class = getattr(v1.train, presets.OPTIMIZERS[params["optimizer"]])
    optimizer = optimizer_class(learning_rate=learning_rate(params))
    hooks = []
    replicas = config.num_worker_replicas if config is not None else 1
    if params.get("sync_replicas") and replicas > 1:
      optimizer, sync_hook = sync_replicas.sync_optimizer(optimizer, config, params["max_steps"])
      hooks.append(sync_hook)
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(loss, global_step=v1.train.get_global_step())
    return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, training_hooks=hooks)

  loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
  accuracy = v1.metrics.accuracy(labels=labels, predictions=predictions["classes"])
  return tf_estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})


def _placeholders():
  return (v1.placeholder(tf.float32, [None, IMAGE_SIZE, IMAGE_SIZE]),
          v1.placeholder(tf.int32, [None]))


def variable_shapes(params):
  """{name: shape} of every variable the TRAIN graph creates, optimizer slots included."""
  with tf.Graph().as_default():
    v1.train.get_or_create_global_step()
    images, labels = _placeholders()
    model_fn({FEATURE_KEY: images}, labels, tf_estimator.ModeKeys.TRAIN, params)
    return {v.op.name: v.shape.as_list() for v in v1.global_variables()}


def parameter_counts(params):
  """(trainable, total) parameters of the network; total adds batch norm's moving statistics."""
  with tf.Graph().as_default():
    images, _ = _placeholders()
    model_fn({FEATURE_KEY: images}, None, tf_estimator.ModeKeys.PREDICT, params)
    return tuple(sum(v.shape.num_elements() for v in variables)
                 for variables in (v1.trainable_variables(), v1.global_variables()))
