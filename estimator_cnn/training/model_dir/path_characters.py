"""A model_dir path TensorFlow can use: none of the characters it reads as a file pattern."""

from estimator_cnn.base.errors import UserError

# TensorFlow reads a checkpoint's path as a file pattern where it looks checkpoints up and where it
# deletes old ones (kGlobbingChars of tensorflow/core/platform/file_system_helper.cc).
GLOB_CHARACTERS = "*?[\\"


def check_path_characters(model_dir):
  """Raises UserError when model_dir holds a character TensorFlow reads as a file pattern.

  On TF 2.15 and 2.21 alike tf.train.latest_checkpoint finds nothing under run[1]/
  (nor under run\\1/), and tf.estimator's clean-up of run[1]/model.ckpt-N deletes
  run1/model.ckpt-N instead.
  """
  found = [character for character in GLOB_CHARACTERS if character in model_dir]
  if found:
    raise UserError(f"--model_dir={model_dir} holds {' '.join(found)}, which TensorFlow reads as "
                    "a file pattern when it looks up and deletes checkpoints: pick or rename a "
                    f"folder without {' '.join(GLOB_CHARACTERS)}")
