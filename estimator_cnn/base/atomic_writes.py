"""Files and folders written whole or not at all: under a temporary name, then renamed."""

import contextlib
import os
import shutil
import uuid


def write_atomically(path, text):
  """Writes text under a temporary name, then renames: an interrupted write leaves no half file."""
  temp = path + ".tmp"
  try:
    with open(temp, "w", newline="") as f:
      f.write(text)
    os.replace(temp, path)
  finally:
    with contextlib.suppress(FileNotFoundError):
      os.remove(temp)


@contextlib.contextmanager
def folder_written_atomically(path):
  """Yields a new temporary folder to write folder path's files in; moves them into path at the end.

  The temporary folder is beside a new path, which then appears with one rename,
  or inside an existing one, whose files of the same names are then replaced with
  one rename each (its other files are kept). When the block fails or is
  interrupted, the temporary folder is removed and path is left as it was.
  """
  path = os.path.abspath(path)
  if os.path.isdir(path):
    staging = os.path.join(path, f".tmp-{uuid.uuid4().hex}")
  else:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = os.path.join(os.path.dirname(path),
                           f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex}")
  os.mkdir(staging)  # With the usual permissions, which the new path keeps (mkdtemp's are 0700).
  try:
    yield staging
    _move_into(staging, path)
  finally:
    shutil.rmtree(staging, ignore_errors=True)


def _move_into(source, destination):
  """Renames folder source to destination, or, when it exists, each of source's files into it."""
  if not os.path.isdir(destination):
    os.rename(source, destination)
    return
  for name in os.listdir(source):
    if os.path.isdir(os.path.join(source, name)):
      _move_into(os.path.join(source, name), os.path.join(destination, name))
    else:
      os.replace(os.path.join(source, name), os.path.join(destination, name))
