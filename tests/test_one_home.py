"""One home for each name and default of the model params and the recipes: model/presets.py
(model/param_rules.py for the rules' bounds). Each is assigned once in the package and flags/, and
the names' values are written nowhere else, so flags, rules, model and studies cannot drift apart.
"""

import ast
import pathlib

import pytest

from estimator_cnn.model import presets

REPO = pathlib.Path(__file__).resolve().parent.parent
SOURCES = sorted([*(REPO / "estimator_cnn").rglob("*.py"), *(REPO / "flags").rglob("*.py")])
PRESETS_FILE = REPO / "estimator_cnn" / "model" / "presets.py"
# The names and defaults, each with the module that assigns it.
HOMES = {
    **{name: "estimator_cnn/model/presets.py" for name in (
        "OPTIMIZERS", "FLOAT32", "BFLOAT16", "DTYPES", "CONSTANT", "WARMUP_COSINE",
        "LR_SCHEDULES", "CONV_BLOCKS", "DEFAULT_PRESET", "DEFAULT_PARAMS", "TUNED_RECIPES",
        "PRESETS", "DEFAULT_STEPS", "DEFAULT_BATCH_SIZE", "EVAL_BATCH_SIZE")},
    **{name: "estimator_cnn/model/param_rules.py" for name in (
        "MAX_GLOBAL_STEP", "MAX_LEARNING_RATE", "RULES")},
}
# The values those names hold, written out: in presets.py only.
NAME_LITERALS = {*presets.OPTIMIZERS, *presets.OPTIMIZERS.values(), *presets.DTYPES,
                 *presets.LR_SCHEDULES}
# Flags that set what a preset or recipe sets: their default is a name of presets.py, or None.
PRESET_FLAGS = {*presets.DEFAULT_PARAMS, "batch_size", "dtype", "lr_schedule"}


def _trees():
  return {path.relative_to(REPO).as_posix(): ast.parse(path.read_text()) for path in SOURCES}


TREES = _trees()


def _module_assignments(tree):
  """The names a module's top-level statements assign."""
  names = []
  for node in tree.body:
    targets = (node.targets if isinstance(node, ast.Assign)
               else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
    for target in targets:
      names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
  return names


@pytest.mark.parametrize("name", HOMES)
def test_each_name_is_assigned_once_in_its_home(name):
  homes = [path for path, tree in TREES.items() for assigned in _module_assignments(tree)
           if assigned == name]
  assert homes == [HOMES[name]]


def test_the_names_values_are_written_in_presets_only():
  written = sorted({f"{path}:{node.lineno} {node.value!r}" for path, tree in TREES.items()
                    if path != "estimator_cnn/model/presets.py" for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and node.value in NAME_LITERALS})
  assert not written, f"use model.presets' names instead: {written}"


def test_flags_of_preset_values_default_to_presets_names():
  literal = []
  for path, tree in TREES.items():
    for node in ast.walk(tree):
      if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr.startswith("DEFINE") and len(node.args) > 1
          and isinstance(node.args[0], ast.Constant) and node.args[0].value in PRESET_FLAGS
          and isinstance(node.args[1], ast.Constant) and node.args[1].value is not None):
        literal.append(f"{path}:{node.lineno} --{node.args[0].value}={node.args[1].value!r}")
  assert not literal, f"default them to model.presets' names: {literal}"
