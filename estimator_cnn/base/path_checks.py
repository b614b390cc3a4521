"""Path and folder flags checked before use, each refusal a UserError of one line naming the flag."""

import errno
import os
import tempfile

from estimator_cnn.base.errors import UserError

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
