"""Training examples/s with our tf.data input_fn, tf.estimator's numpy_input_fn and feed_dict.

All graphs fetch [train_op, loss] every step, as Estimator.train does, and run
in one process, alternating blocks of steps so that machine drift cancels:

  .venv/bin/python scripts/training_step_ab.py [--blocks=12] [--block_steps=25]

TensorFlow makes its thread pools once per process, so thread settings are
compared across processes: --inputs=ours with --inter_op_threads and
--intra_op_threads, run alternately.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import app
from absl import flags
import numpy as np

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.data import idx_csv
from estimator_cnn.data import input_fn
from estimator_cnn.model import model_fn
# pylint: enable=g-import-not-at-top,wrong-import-position

v1 = tf.compat.v1
flags.DEFINE_integer("blocks", 12, "Timed blocks per input.", lower_bound=1)
flags.DEFINE_integer("block_steps", 25, "Training steps per block.", lower_bound=1)
flags.DEFINE_integer("batch_size", 100, "Training batch.", lower_bound=1)
flags.DEFINE_integer("warmup_steps", 30, "Untimed steps before the blocks.", lower_bound=0)
flags.DEFINE_integer("inter_op_threads", 0, "Inter-op threads; 0: TensorFlow's default.",
                     lower_bound=0)
flags.DEFINE_integer("intra_op_threads", 0, "Intra-op threads; 0: TensorFlow's default.",
                     lower_bound=0)
FLAGS = flags.FLAGS


INPUTS = {"ours": input_fn.numpy_input_fn,
          "numpy_input_fn": tf_estimator.inputs.numpy_input_fn,
          "feed_dict": None}
flags.DEFINE_list("inputs", list(INPUTS), f"Inputs to compare, among {', '.join(INPUTS)}.")


def training_session(images, labels, batch_size, make_input_fn):
  """(session, fetches, feed function) of the blog's network on one input; feed_dict if
  make_input_fn is None."""
  with tf.Graph().as_default():
    v1.set_random_seed(1)
    v1.train.get_or_create_global_step()
    if make_input_fn is None:
      image_batch = v1.placeholder(images.dtype, [None, 28, 28])
      label_batch = v1.placeholder(labels.dtype, [None])
      features = {model_fn.FEATURE_KEY: image_batch}
      rng = np.random.RandomState(1)

      def feed():
        indices = rng.randint(0, len(labels), batch_size)
        return {image_batch: images[indices], label_batch: labels[indices]}
    else:
      features, label_batch = make_input_fn(
          {model_fn.FEATURE_KEY: images}, labels, batch_size=batch_size, num_epochs=None,
          shuffle=True)()
      feed = lambda: None
    spec = model_fn.model_fn(features, label_batch, tf_estimator.ModeKeys.TRAIN, {})
    config = v1.ConfigProto(allow_soft_placement=True,
                            inter_op_parallelism_threads=FLAGS.inter_op_threads,
                            intra_op_parallelism_threads=FLAGS.intra_op_threads)
    session = v1.train.MonitoredTrainingSession(
        config=config, save_checkpoint_secs=None,
        save_summaries_steps=None, log_step_count_steps=None)
  return session, [spec.train_op, spec.loss], feed


def main(argv):
  del argv
  dataset = idx_csv.load_fashion_mnist(None)
  runs = {name: training_session(dataset.train_images, dataset.train_labels, FLAGS.batch_size,
                                 make_input_fn)
          for name, make_input_fn in INPUTS.items() if name in FLAGS.inputs}
  seconds = dict.fromkeys(runs, 0.0)
  for session, fetches, feed in runs.values():
    for _ in range(FLAGS.warmup_steps):
      session.run(fetches, feed_dict=feed())
  for _ in range(FLAGS.blocks):
    for name, (session, fetches, feed) in runs.items():
      start = time.perf_counter()
      for _ in range(FLAGS.block_steps):
        session.run(fetches, feed_dict=feed())
      seconds[name] += time.perf_counter() - start
  examples = FLAGS.blocks * FLAGS.block_steps * FLAGS.batch_size
  for name, (session, _, _) in runs.items():
    session.close()
    print(f"{name:28s} {examples / seconds[name]:6.0f} examples/s (train op and loss fetched)")


if __name__ == "__main__":
  app.run(main)
