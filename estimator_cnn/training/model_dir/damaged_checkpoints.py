"""Damaged checkpoints set aside, deleting nothing: their files renamed to NAME.damaged, and the
`checkpoint` file rewritten so that TensorFlow resumes from the checkpoint training chose."""

import os

from estimator_cnn.training.model_dir import checkpoint_files
from estimator_cnn.training.model_dir import checkpoint_index

DAMAGED_SUFFIX = ".damaged"  # Files of a damaged checkpoint, renamed by set_aside.


def set_aside(model_dir, start, printer=print):
  """Makes model_dir resumable from start's checkpoint (a starting_point.Start), deleting nothing.

  Renames the files of start's damaged checkpoints to NAME.damaged and says so in a
  line; rewrites the `checkpoint` file when TensorFlow would not find start's
  checkpoint through it (it names a damaged, missing or misplaced one, or is missing
  or unreadable), listing the older ones it listed; renames an unreadable one to
  checkpoint.damaged, in a line, when there is no checkpoint to name.
  """
  for checkpoint in start.damaged:
    for name in checkpoint_files.files_of(checkpoint):
      path = os.path.join(model_dir, name)
      os.replace(path, path + DAMAGED_SUFFIX)
  if start.checkpoint is None:
    if checkpoint_index.index_is_unreadable(model_dir):
      index = os.path.join(model_dir, checkpoint_index.INDEX_FILE)
      os.replace(index, index + DAMAGED_SUFFIX)
      printer(f"{index} is unreadable and {model_dir} holds no checkpoint: it is kept as "
              f"{checkpoint_index.INDEX_FILE}{DAMAGED_SUFFIX}; training starts afresh")
    return
  if not checkpoint_index.index_leads_to(model_dir, start.checkpoint):
    checkpoint_index.write_index(
        model_dir, [*checkpoint_index.listed_before(model_dir, start.checkpoint), start.checkpoint])
  if start.damaged:
    named, why = next(iter(start.damaged.items()))
    printer(f"checkpoint {named} is damaged ({why}): its files are kept as *{DAMAGED_SUFFIX}; "
            f"training resumes from {start.checkpoint}")
