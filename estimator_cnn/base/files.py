"""Atomic writes of files and folders, failed writes in words, checks of path and folder flags,
JSON reads that fail in one line, and durations in words."""

import contextlib
import errno
import json
import os
import shutil
import tempfile
import uuid

from estimator_cnn.base.errors import UserError

_WRITE_FAILURES = (  # (error codes, what it means, how to fix it)
    ((errno.ENOSPC, errno.EDQUOT), "the disk is full", "free some space"),
    ((errno.EACCES, errno.EPERM, errno.EROFS), "the folder is not writable", "make it writable"),
)


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


def write_failure(error):
  """(the system's words, what they mean, how to fix it) when error is a failed write, else None.

  A failed write is a full disk, or a folder without permission or read-only.
  TensorFlow's errors carry the system's error in their message only, so the
  error's text is matched (os.strerror).
  """
  for codes, reason, fix in _WRITE_FAILURES:
    cause = next((os.strerror(code) for code in codes if os.strerror(code) in str(error)), None)
    if cause:
      return cause, reason, fix
  return None


@contextlib.contextmanager
def failed_writes_in_one_line(message):
  """Turns a failed write (disk full, not writable) into a UserError of one line:
  message(the system's words, what they mean, how to fix it).

  Errors are matched on their text (write_failure): OSError, and TensorFlow's
  OpError and event file writer's RuntimeError, which carry the system's words.
  """
  try:
    yield
  except UserError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    failure = write_failure(e)
    if failure is None:
      raise
    raise UserError(message(*failure)) from e


SHOWN_PATH_CHARACTERS = 200  # A longer path is shown cut in the middle.


def _shown(path):
  if len(path) <= SHOWN_PATH_CHARACTERS:
    return path
  half = SHOWN_PATH_CHARACTERS // 2
  return f"{path[:half]}...{path[-half:]} ({len(path):,} characters)"


def check_path(path, flag, room_below=0, room_beside=0):
  """Raises UserError, in one line, when --flag's path cannot be used on this system.

  That is when a symbolic link along it loops or points nowhere, a file stands where
  a folder must, a name is longer than the file system's NAME_MAX (its last name
  with room_beside more characters, a temporary sibling's), or the path is longer
  than PATH_MAX with room_below more characters below it (the longest path written
  there) or room_beside more at its end. Nothing is created.
  """
  absolute = os.path.abspath(path)
  names = [name for name in absolute.split(os.sep) if name]
  folder, found = os.sep, True  # The deepest folder of path that exists.
  for index, name in enumerate(names):
    last = index == len(names) - 1
    name_max = os.pathconf(folder, "PC_NAME_MAX")
    length = len(os.fsencode(name)) + (room_beside if last else 0)
    if length > name_max:
      beside = (f" (with the {room_beside} of its temporary sibling's)" if last and room_beside
                else "")
      raise UserError(f"--{flag}={_shown(path)} holds a name of {length} bytes{beside}, more "
                      f"than the {name_max} its file system allows: pass shorter names")
    if not found:
      continue
    candidate = os.path.join(folder, name)
    try:
      os.stat(candidate)
    except FileNotFoundError:
      found = False
      if os.path.islink(candidate):
        raise UserError(f"--{flag}={_shown(path)}: {_shown(candidate)} is a symbolic link to "
                        f"{os.readlink(candidate)}, which does not exist: fix the link, or pass "
                        "another path") from None
      continue
    except OSError as e:
      if e.errno == errno.ELOOP:
        raise UserError(f"--{flag}={_shown(path)}: {_shown(candidate)} is a symbolic link that "
                        "loops back on itself: fix the link, or pass another path") from None
      break  # Not searchable (EACCES): the mode's own checks say so.
    if not last and not os.path.isdir(candidate):
      raise UserError(f"--{flag}={_shown(path)}: {_shown(candidate)} is a file, not a folder: "
                      "pass a path whose folders are folders")
    if os.path.isdir(candidate):
      folder = candidate
  path_max = os.pathconf(folder, "PC_PATH_MAX") - 1  # PATH_MAX counts the final NUL byte.
  room = max(room_below + 1 if room_below else 0, room_beside)
  if len(os.fsencode(absolute)) + room > path_max:
    added = (f", and what is written {'in' if room_below else 'beside'} it adds up to {room} more"
             if room else "")
    raise UserError(f"--{flag}={_shown(path)} is too long: {len(os.fsencode(absolute)):,} "
                    f"characters as an absolute path{added}, over this system's limit of "
                    f"{path_max:,}: pass a path of at most {path_max - room:,} characters")


def _check_folder_path(path, flag):
  if not path:
    raise UserError(f"--{flag} is empty: pass a folder path")
  if os.path.exists(path) and not os.path.isdir(path):
    raise UserError(f"--{flag}={path} is a file, not a folder: pass a folder path")


def check_readable_folder(path, flag):
  """Raises UserError when --flag's path is empty, a file, or a folder that cannot be read."""
  _check_folder_path(path, flag)
  if os.path.isdir(path) and not os.access(path, os.R_OK | os.X_OK):
    raise UserError(f"--{flag}={path} is not readable: pick a folder you can read")


def existing_and_missing(path):
  """(the deepest part of path that exists, the outermost part that does not yet, or None)."""
  missing, existing = None, os.path.abspath(path)
  while not os.path.exists(existing):
    missing, existing = existing, os.path.dirname(existing)
  return existing, missing


def check_writable_folder(path, flag):
  """Raises UserError when --flag's path is empty, a file, or in a place that cannot be written.

  The deepest folder of path that exists is tried with a temporary folder, made and removed
  at once: os.access says yes to root where writes fail all the same (/proc, say).
  """
  _check_folder_path(path, flag)
  existing, _ = existing_and_missing(path)
  try:
    if not os.access(existing, os.W_OK):
      raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    os.rmdir(tempfile.mkdtemp(prefix=".write-test-", dir=existing))
  except OSError as e:
    raise UserError(f"--{flag}={path} is not writable: pick a folder you can write to") from e


def write_results(output_dir, name, content, markdown):
  """Writes NAME.json (content) and NAME.md (markdown) into output_dir; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  stem = os.path.join(output_dir, name)
  write_json(stem + ".json", content)
  write_atomically(stem + ".md", markdown)
  return stem + ".json", stem + ".md"


def write_json(path, content, **dump_options):
  """Writes content as indented JSON, atomically."""
  write_atomically(path, json.dumps(content, indent=2, **dump_options) + "\n")


def read_json(path, what):
  """The JSON content of path; a missing or malformed file is a UserError naming `what`."""
  try:
    with open(path) as f:
      return json.load(f)
  except OSError as e:
    raise UserError(f"cannot read {what} {path}: {e.strerror}") from e
  except ValueError as e:
    raise UserError(f"{what} {path} is not valid JSON: {e}") from e


def format_duration(seconds):
  """'42s', '3m05s' or '2h07m'."""
  hours, rest = divmod(int(round(seconds)), 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
