"""The real tf.estimator on current TensorFlow: the compatibility module and the zero-edit runner."""
