"""The Fashion-MNIST networks, in tf.compat.v1.layers; each preset of model.presets names one.

Each takes (images, params, training) and returns logits. The blog's network
keeps its variable names, so its checkpoints stay interchangeable with the real
tf.estimator's; the other networks build under a scope named after them.
"""

import random

from estimator_cnn.base.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from estimator_cnn.base.tf_setup import tf

v1 = tf.compat.v1
CONV_FILTERS = (32, 64, 128)


def _image_batch(images):
  return tf.reshape(images, [-1, IMAGE_SIZE, IMAGE_SIZE, 1])


def _conv(net, filters, kernel_size, padding, name, activation=tf.nn.relu):
  return v1.layers.conv2d(net, filters, kernel_size, padding=padding, activation=activation,
                          name=name)


def _pool(net, size, name):
  return v1.layers.max_pooling2d(net, pool_size=size, strides=size, name=name)


def _conv_pool(net, filters, block, training):
  """conv{block} (5x5 same, ReLU), then pool{block} (2x2 max-pool): the blog network's block.

  In bfloat16 training the bias and the ReLU come after the pool, on a quarter of
  the values: max-pooling commutes with a per-channel bias and with ReLU (both
  monotone), so the block computes the same (but for bf16 rounding) from the same
  variables, and the backward pass's ReLU and bias gradients, slow bf16 kernels of
  TensorFlow's own, shrink fourfold (docs/performance.md). Elsewhere oneDNN fuses
  bias and ReLU into the convolution at no cost.
  """
  name = f"conv{block}"
  if net.dtype != tf.bfloat16 or not training:
    return _pool(_conv(net, filters, 5, "same", name), 2, f"pool{block}")
  with tf.name_scope(name) as scope:
    layer = v1.layers.Conv2D(filters, 5, padding="same", name=name, dtype=net.dtype)
    layer.build(net.shape)
    net = tf.nn.conv2d(net, layer.kernel, strides=1, padding="SAME")
  net = _pool(net, 2, f"pool{block}")
  with tf.name_scope(scope):
    return tf.nn.relu(tf.nn.bias_add(net, layer.bias))


def _dropout(net, rate, training, name):
  """v1.layers.dropout; in bfloat16 training, one multiply by a mask of the stateless generator.

  On the CPU, TensorFlow's stateful RandomUniform and tf.nn.dropout's select are
  slow kernels in bfloat16 (docs/performance.md). The stateless mask draws from
  a seed of the graph's seed, the op's and the global step: the same masks for
  the same --seed and step, as the stateful generator gives for the same run.
  """
  global_step = v1.train.get_global_step()
  if net.dtype != tf.bfloat16 or not training or global_step is None:
    return v1.layers.dropout(net, rate=rate, training=training, name=name)
  with tf.name_scope(name):
    graph_seed, op_seed = v1.get_seed(None)
    op_key = random.getrandbits(62) if graph_seed is None else graph_seed * 2**31 + op_seed
    seed = tf.stack([tf.constant(op_key, tf.int64), tf.cast(global_step, tf.int64)])
    keep = tf.random.stateless_uniform(tf.shape(net), seed=seed) >= rate
    return net * (tf.cast(keep, net.dtype) * tf.constant(1 / (1 - rate), net.dtype))


def blog_cnn(images, params, training):
  """The blog's CNN: 2 or 3 conv blocks (5x5 same, ReLU, 2x2 max-pool), dense 1024, logits."""
  net = _image_batch(images)
  for block, filters in enumerate(CONV_FILTERS[:params["conv_blocks"]], start=1):
    net = _conv_pool(net, filters, block, training)
    rate = params.get(f"dropout_pool{block}", 0.0)
    if rate:
      net = _dropout(net, rate, training, f"dropout_pool{block}")
  net = v1.layers.flatten(net)
  net = v1.layers.dense(net, 1024, activation=tf.nn.relu, name="dense")
  if params["dropout_dense"]:
    net = _dropout(net, params["dropout_dense"], training, "dropout_dense")
  return v1.layers.dense(net, NUM_CLASSES, name="logits")


def keras_cnn(images, params, training):
  """Keras's CNN: conv 32 and 64 (3x3 valid), 2x2 pool, dropout 0.25, dense 128, dropout 0.2."""
  del params
  with v1.variable_scope("keras_cnn"):
    net = _conv(_image_batch(images), 32, 3, "valid", "conv1")
    net = _conv(net, 64, 3, "valid", "conv2")
    net = _pool(net, 2, "pool")
    net = _dropout(net, 0.25, training, "dropout_pool")
    net = v1.layers.flatten(net)
    net = v1.layers.dense(net, 128, activation=tf.nn.relu, name="dense")
    net = _dropout(net, 0.2, training, "dropout_dense")
    return v1.layers.dense(net, NUM_CLASSES, name="logits")


def small_cnn(images, params, training):
  """A CNN for 1,000 images: conv 32 5x5 valid, pool, 4x4 same, pool, 3x3 valid, dropout."""
  del params
  with v1.variable_scope("small_cnn"):
    net = _conv(_image_batch(images), 32, 5, "valid", "conv1")
    net = _pool(net, 2, "pool1")
    net = _conv(net, 32, 4, "same", "conv2")
    net = _pool(net, 2, "pool2")
    net = _conv(net, 32, 3, "valid", "conv3")
    net = v1.layers.flatten(net)
    # The source gives no rate; 0.5 is our choice.
    net = _dropout(net, 0.5, training, "dropout")
    return v1.layers.dense(net, NUM_CLASSES, name="logits")


def _batch_norm(net, training, name):
  """TF1 batch norm: batch statistics and UPDATE_OPS in TRAIN, moving statistics otherwise."""
  return v1.layers.batch_normalization(net, training=training, name=name)


def bn_cnn(images, params, training):
  """Batch-norm CNN: 3 conv blocks (3x3, BN, ReLU, pool 1, 2, 2), 2 dense blocks, BN, logits."""
  del params
  with v1.variable_scope("bn_cnn"):
    net = _image_batch(images)
    for block, (filters, pool_size) in enumerate(zip(CONV_FILTERS, (1, 2, 2)), start=1):
      # Zero-padding by 1 then a valid 3x3 conv is a "same" 3x3 conv.
      net = _conv(net, filters, 3, "same", f"conv{block}", activation=None)
      net = tf.nn.relu(_batch_norm(net, training, f"conv{block}_bn"), name=f"relu{block}")
      net = _pool(net, pool_size, f"pool{block}")
    net = v1.layers.flatten(net)
    for block, units in enumerate((512, 256), start=1):
      net = _batch_norm(net, training, f"dense{block}_bn")
      # The source gives no rate; 0.5 is our choice.
      net = _dropout(net, 0.5, training, f"dense{block}_dropout")
      net = v1.layers.dense(net, units, activation=tf.nn.relu, name=f"dense{block}")
    net = _batch_norm(net, training, "logits_bn")
    return v1.layers.dense(net, NUM_CLASSES, name="logits")


def mlp(images, params, training):
  """A multilayer perceptron: flatten, dense 128 ReLU, logits."""
  del params, training
  with v1.variable_scope("mlp"):
    net = v1.layers.flatten(images)
    net = v1.layers.dense(net, 128, activation=tf.nn.relu, name="dense")
    return v1.layers.dense(net, NUM_CLASSES, name="logits")


def small_conv2(images, params, training):
  """Two small conv blocks: conv 32 and 64 (3x3 same, ReLU, 2x2 pool), dense 128 ReLU, logits."""
  del params, training
  with v1.variable_scope("small_conv2"):
    net = _image_batch(images)
    for block, filters in enumerate(CONV_FILTERS[:2], start=1):
      net = _conv(net, filters, 3, "same", f"conv{block}")
      net = _pool(net, 2, f"pool{block}")
    net = v1.layers.flatten(net)
    net = v1.layers.dense(net, 128, activation=tf.nn.relu, name="dense")
    return v1.layers.dense(net, NUM_CLASSES, name="logits")
