"""Which TensorFlow a script gets, read from its own source: TF 1.x's or TF 2.x's.

A script is a TF 1.x program when it, or one of its own modules (those it
imports from its folder or package), spells a name that exists only in TF 1.x
(`tf.logging.info`, `tf.app.flags`, `tf.contrib...`): TensorFlow's
tf_upgrade_v2 tables list them (estimator_cnn.legacy.upgrade_tables). `install`
then gives the program the face chosen.
"""

import ast
import os
import zipimport

from estimator_cnn.legacy import bfloat16_sessions
from estimator_cnn.legacy import compat
from estimator_cnn.legacy import tf1_face
from estimator_cnn.legacy import upgrade_tables

TF1 = "tf1"
TF2 = "tf2"
_MAX_MODULES = 500
_SHOWN_NAMES = 3


def _tensorflow_aliases(tree):
  """{local name: "tf...."} for the names bound to TensorFlow or its submodules by imports."""
  aliases = {}
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        if alias.name == "tensorflow" or alias.name.startswith("tensorflow."):
          if alias.asname:
            aliases[alias.asname] = "tf" + alias.name[len("tensorflow"):]
          else:
            aliases["tensorflow"] = "tf"
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
        node.module == "tensorflow" or node.module.startswith("tensorflow.")):
      for alias in node.names:
        aliases[alias.asname or alias.name] = f"tf{node.module[len('tensorflow'):]}.{alias.name}"
  return aliases


def tensorflow_names(source):
  """Every dotted TensorFlow name the source spells, as "tf.a.b" (the longest chains and the
  imported names themselves)."""
  tree = ast.parse(source)
  aliases = _tensorflow_aliases(tree)
  names = set(aliases.values())
  for node in ast.walk(tree):
    if isinstance(node, ast.Attribute):
      parts = []
      while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
      if isinstance(node, ast.Name) and node.id in aliases:
        names.add(".".join([aliases[node.id], *reversed(parts)]))
  # Shorter prefixes too: `tf.app.flags.DEFINE_string` is under the removed `tf.app.flags`.
  return {".".join(name.split(".")[:end]) for name in names
          for end in range(2, name.count(".") + 2)}


def _module_file(root, dotted):
  path = os.path.join(root, *dotted.split("."))
  for candidate in (path + ".py", os.path.join(path, "__init__.py")):
    if os.path.isfile(candidate):
      return candidate
  return None


def _imported_files(tree, path, root):
  """The files of the modules under root that the module at path imports."""
  package_dir = os.path.dirname(path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      modules = [(root, alias.name) for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = root
      if node.level:
        base = package_dir
        for _ in range(node.level - 1):
          base = os.path.dirname(base)
      prefix = f"{node.module}." if node.module else ""
      modules = [(base, f"{prefix}{alias.name}") for alias in node.names]
      if node.module:
        modules.append((base, node.module))
    else:
      continue
    for base, dotted in modules:
      parts = dotted.split(".")
      for end in range(1, len(parts) + 1):
        found = _module_file(base, ".".join(parts[:end]))
        if found:
          yield found


def _read(path):
  """The text of the file at path, also of one in a zip (a zip's __main__.py, as python runs
  zips)."""
  if os.path.isfile(path):
    with open(path, encoding="utf-8", errors="replace") as f:
      return f.read()
  return zipimport.zipimporter(os.path.dirname(path)).get_data(path).decode(
      "utf-8", errors="replace")


def own_sources(entry, root):
  """{path: source} of the entry file and of the modules under root it imports, transitively."""
  sources, pending = {}, [os.path.abspath(entry)]
  while pending and len(sources) < _MAX_MODULES:
    path = pending.pop()
    if path in sources:
      continue
    sources[path] = _read(path)
    try:
      tree = ast.parse(sources[path])
    except SyntaxError:
      continue
    pending.extend(found for found in _imported_files(tree, path, root) if found not in sources)
  return sources


def tf1_names(sources):
  """The TF 1.x-only names the sources spell, sorted."""
  names = set()
  for source in sources.values():
    try:
      names |= tensorflow_names(source)
    except SyntaxError:
      continue
  found = upgrade_tables.tf1_only_names(names)
  # The longest: tf.contrib.data.map_and_batch, not also tf.contrib and tf.contrib.data.
  return [name for name in found if not any(other.startswith(name + ".") for other in found)]


def choose(entry, root, forced=None):
  """(TF1 or TF2, the one stderr line that says which and why) for the program at entry."""
  shown = os.path.basename(entry)
  if forced == TF1:
    return TF1, f"estimator_cnn.legacy: running {shown} as a TF 1.x program (--tf1)"
  if forced == TF2:
    return TF2, f"estimator_cnn.legacy: running {shown} as a TF 2.x program (--tf2)"
  names = tf1_names(own_sources(entry, root))
  if not names:
    return TF2, (f"estimator_cnn.legacy: {shown} uses no TF 1.x-only name: running it with "
                 "TensorFlow 2's tf (--tf1 to give it tf.compat.v1)")
  more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
  return TF1, (f"estimator_cnn.legacy: {shown} uses TF 1.x names "
               f"({', '.join(names[:_SHOWN_NAMES])}{more}): running it as a TF 1.x program, "
               "tf = tf.compat.v1 in graph mode (--tf2 to run it as TF 2.x)")


def install(face, root):
  """Gives the program its face from now on: tf.estimator (compat), bfloat16 sessions if asked
  for, and, for TF1, the TF 1.x face for the modules under root; returns the globals its main
  module starts with."""
  compat.load_estimator()
  bfloat16_sessions.install_if_requested()
  return tf1_face.install(root) if face == TF1 else None
