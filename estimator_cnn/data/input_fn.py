"""The CNN's input_fn: numpy arrays through tf.data, in an order that is reproducible and resumes.

tf.estimator's `numpy_input_fn` feeds a queue from an unseeded thread, so its
order differs from run to run, and an endless stream starts the first epoch
again at every `train` call. Here the arrays stay in Python: the dataset yields
batches of example counters and one `tf.numpy_function` gathers each batch, so
the graph stays small (no 180 MB constant in graph.pbtxt). Counter c serves
example perm_e[c mod n] of epoch e = c div n, where perm_e is a permutation
drawn from the graph seed and e. An endless stream (num_epochs=None) starts at
global_step * batch_size: training that resumes from a checkpoint, or trains
in several `train` calls, carries on with the examples it had not seen.
"""

import numpy as np

from estimator_cnn.base.tf_setup import tf

PREFETCH_BATCHES = 2
_LABELS = object()  # The labels' key among the arrays: no feature name can clash.
# Nothing for tf.data's autotuner to tune; its thread, left running, held every session's
# close for up to a third of the training time (bfloat16 on TF 2.21: 15 s after 600 steps).
_FIXED_PIPELINE = tf.data.Options()
_FIXED_PIPELINE.autotune.enabled = False


class _ExampleStream:
  """Maps example counters to example indices, epoch after epoch."""

  def __init__(self, num_examples, shuffle, seed):
    self._num_examples = num_examples
    self._shuffle = shuffle
    self._seed = seed
    self._permutations = {}

  def _permutation(self, epoch):
    if epoch not in self._permutations:
      if len(self._permutations) > 2:
        self._permutations.pop(min(self._permutations))
      rng = np.random.default_rng([self._seed, epoch])
      self._permutations[epoch] = rng.permutation(self._num_examples)
    return self._permutations[epoch]

  def indices(self, counters):
    epochs, positions = np.divmod(counters, self._num_examples)
    if not self._shuffle:
      return positions
    result = np.empty_like(positions)
    for epoch in np.unique(epochs):
      in_epoch = epochs == epoch
      result[in_epoch] = self._permutation(int(epoch))[positions[in_epoch]]
    return result


def numpy_input_fn(features, labels=None, batch_size=100, num_epochs=1, shuffle=False,
                   as_dataset=False):
  """An input_fn serving a dict of feature arrays (and a label array) in batches.

  Args:
    features: dict of numpy arrays; the first axis is the example axis.
    labels: numpy array of labels, or None when predicting.
    batch_size: examples per batch; the last batch of the last epoch may be smaller.
    num_epochs: times to serve the data; None means forever, resuming at the global step.
    shuffle: each epoch a fresh permutation drawn from the graph seed.
    as_dataset: return the tf.data.Dataset of the batches, as tf.distribute strategies want
      (tf.estimator initialises its iterator after the restore), not one batch's tensors.

  Returns:
    A function that returns (features, labels), or features alone when labels is None.
  """
  arrays = dict(features)
  if labels is not None:
    arrays[_LABELS] = labels
  keys = list(arrays)
  values = [np.asarray(value) for value in arrays.values()]
  num_examples = len(values[0])
  if any(len(value) != num_examples for value in values):
    raise ValueError(f"features and labels differ in length: "
                     f"{ {key: len(value) for key, value in zip(keys, values)} }")

  def input_fn():
    graph_seed = tf.compat.v1.get_default_graph().seed
    # Without a graph seed the order differs run to run, as tf.estimator's does.
    seed = graph_seed if graph_seed is not None else np.random.randint(2**31)
    stream = _ExampleStream(num_examples, shuffle, seed)
    dtypes = [tf.as_dtype(value.dtype) for value in values]

    def gather(counters):
      indices = stream.indices(counters)
      return tuple(value[indices] for value in values)

    def lookup(counters):
      tensors = tf.numpy_function(gather, [counters], dtypes, stateful=False)
      return tuple(tf.ensure_shape(tensor, (None,) + value.shape[1:])
                   for tensor, value in zip(tensors, values))

    global_step = tf.compat.v1.train.get_global_step()
    resumes = num_epochs is None and global_step is not None
    start = tf.cast(global_step, tf.int64) * batch_size if resumes else 0
    stop = num_examples * num_epochs if num_epochs else np.iinfo(np.int64).max
    batches = (tf.data.Dataset.range(start, stop).batch(batch_size).map(lookup)
               .prefetch(PREFETCH_BATCHES).with_options(_FIXED_PIPELINE))
    if as_dataset:
      return batches.map(lambda *tensors: _features_and_labels(keys, tensors, labels is None))
    if resumes:
      # The global step is read when the session's local init op runs, after the restore.
      iterator = tf.compat.v1.data.make_initializable_iterator(batches)
      tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.TABLE_INITIALIZERS,
                                     iterator.initializer)
    else:
      iterator = tf.compat.v1.data.make_one_shot_iterator(batches)
    return _features_and_labels(keys, iterator.get_next(), labels is None)

  return input_fn


def _features_and_labels(keys, tensors, features_only):
  """(features dict, labels) of a batch's tensors in keys' order, or the features alone."""
  batch = dict(zip(keys, tensors))
  label_batch = batch.pop(_LABELS, None)
  return batch if features_only else (batch, label_batch)
