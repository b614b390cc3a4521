"""TensorFlow's own `tf_upgrade_v2` tables, read where TensorFlow ships them.

`tensorflow/tools/compatibility/` (all_renames_v2, module_deprecations_v2,
tf_upgrade_v2) lists every TF 1.x name that TF 2 renamed or moved to
`tf.compat.v1`, the `tf.contrib` names that became plain TF 2 names, and the
modules TF 2 removed. The runner reads them to tell a TF 1.x script from a TF
2.x one, and the TF 1.x face to map `tf.contrib` names; nothing is retyped.
"""

import functools

from estimator_cnn.base.tf_setup import tf

CONTRIB = "tf.contrib"
# Community packages that took over whole contrib modules, named when a script uses them.
_SUCCESSORS = {"tf.contrib.slim": "tf_slim", "tf.contrib.layers": "tf_slim.layers"}
# A contrib module whose role a TensorFlow module of another name took over (TF 1.x's own
# deprecation notices said so: "use tf.estimator"); else it is TF 2's module of the same name.
_SUCCESSOR_MODULES = {"tf.contrib.learn": "tf.estimator"}


@functools.lru_cache(maxsize=None)
def _tables():
  # pylint: disable=g-import-not-at-top
  from tensorflow.tools.compatibility import all_renames_v2
  from tensorflow.tools.compatibility import module_deprecations_v2
  return (dict(all_renames_v2.symbol_renames), dict(all_renames_v2.addons_symbol_mappings),
          tuple(module_deprecations_v2.MODULE_DEPRECATIONS))


@functools.lru_cache(maxsize=None)
def _rewritten_calls():
  """The names whose calls tf_upgrade_v2 rewrites beyond the name (arguments renamed, reordered
  or transformed): not plain renames."""
  from tensorflow.tools.compatibility import tf_upgrade_v2  # pylint: disable=g-import-not-at-top
  spec = tf_upgrade_v2.TFAPIChangeSpec()
  return frozenset().union(spec.function_keyword_renames, spec.function_reorders,
                           spec.function_transformers, spec.function_arg_warnings)


@functools.lru_cache(maxsize=None)
def _converted_source(name, positional, keywords):
  """TensorFlow's converter's rewrite of the call `name(_0, _1, key=_key...)`, or None where it
  leaves a tf.contrib name or reports an error."""
  # pylint: disable=g-import-not-at-top
  from tensorflow.tools.compatibility import ast_edits
  from tensorflow.tools.compatibility import tf_upgrade_v2
  arguments = [f"_{index}" for index in range(positional)]
  arguments += [f"{key}=_{key}" for key in keywords]
  upgrader = ast_edits.ASTCodeUpgrader(tf_upgrade_v2.TFAPIChangeSpec())
  _, source, _, errors = upgrader.update_string_pasta(f"{name}({', '.join(arguments)})\n", name)
  if errors or not source or "tf.contrib" in source:
    return None
  return source.strip()


def converted_names():
  """The tf.contrib names whose calls tf_upgrade_v2 rewrites."""
  return frozenset(name for name in _rewritten_calls() if name.startswith(CONTRIB + "."))


def converted_call(name, error):
  """A function that calls what tf_upgrade_v2 turns a call of `name` into (the converter itself
  rewrites each call's arguments; a call it cannot convert raises error()), or None for a name
  whose calls it does not rewrite."""
  if name not in _rewritten_calls():
    return None

  def call(*args, **kwargs):
    source = _converted_source(name, len(args), tuple(kwargs))
    if source is None:
      raise error()
    values = {f"_{index}": value for index, value in enumerate(args)}
    values.update({f"_{key}": value for key, value in kwargs.items()})
    return eval(source, {"tf": tf}, values)  # pylint: disable=eval-used

  call.__name__ = name.rpartition(".")[2]
  call.__doc__ = f"{name}, as tf_upgrade_v2 converts its calls."
  return call


def resolve(name, root=None):
  """The object a dotted "tf.x.y" name stands for in TensorFlow 2 (or under `root`), or None."""
  value = tf if root is None else root
  for part in name.split(".")[1:]:
    try:
      value = getattr(value, part)
    except (AttributeError, ImportError):
      return None
  return value


def _is_tf1_only(name):
  """Whether the tables list `name` (a dotted "tf...." name or a removed module under which it
  is) and TensorFlow 2 has no such name."""
  renames, _, removed_modules = _tables()
  listed = name in renames or any(name == module or name.startswith(module + ".")
                                  for module in removed_modules)
  return listed and resolve(name) is None


def tf1_only_names(names):
  """The names (dotted "tf...." as a script spells them) that exist only in TF 1.x, sorted."""
  return sorted(name for name in set(names) if _is_tf1_only(name))


@functools.lru_cache(maxsize=None)
def contrib_renames():
  """{"tf.contrib...": "tf...."}: the tables' plain renames of tf.contrib names, those whose
  arguments stay as they are (a target may be missing from this TensorFlow: resolve tells)."""
  renames, _, _ = _tables()
  return {old: new for old, new in renames.items()
          if old.startswith(CONTRIB + ".") and old not in _rewritten_calls()}


def contrib_replacement(name):
  """What to use instead of a tf.contrib name the face cannot give, or None: the tables' target
  (also one missing here) or Addons name; tf.compat.v1's own (also under `experimental`) or TF
  2's name in the module of the same name; the community package that took the module over;
  else the TensorFlow module that did (`tf.contrib.lookup` -> `tf.lookup`)."""
  renames, addons, _ = _tables()
  if name in renames or name in addons:
    return renames.get(name) or addons[name]
  module, _, short = name[len(CONTRIB) + 1:].rpartition(".")
  for candidate in (f"tf.compat.v1.{module}.{short}",
                    f"tf.compat.v1.{module}.experimental.{short}", f"tf.{module}.{short}"):
    if module and resolve(candidate) is not None:
      return candidate
  for prefix, successor in _SUCCESSORS.items():
    if name == prefix or name.startswith(prefix + "."):
      return successor + name[len(prefix):]
  contrib_module = ".".join(name.split(".")[:3])
  successor = _SUCCESSOR_MODULES.get(contrib_module, "tf." + contrib_module.split(".")[2])
  return successor if resolve(successor) is not None else None
