"""The package's parts and the arrows between them: one way, no cycle, absl only in the mains;
flags/, the package estimator_cnn.flags, below the mains that import it."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "estimator_cnn"
# Each part, and the parts it may import besides itself.
ALLOWED = {
    "base": set(),
    "legacy": {"base"},
    "data": {"base"},
    "model": {"base", "legacy"},
    "training": {"base", "legacy", "data", "model"},
    "report": {"base", "legacy", "data", "model", "training"},
    "experiments": {"base", "legacy", "data", "model", "training", "report"},
    "app": {"base", "legacy", "data", "model", "training", "report"},
}

# flags/ sits between the mains and the package: any part but experiments, whose mains import
# flags/ (the studies' tables come in as data from those mains). It is the package
# estimator_cnn.flags through the link estimator_cnn/flags -> ../flags, so that pip installs it
# inside estimator_cnn; imported by its top-level name too, absl would define its flags twice.
FLAGS_FOLDER = PACKAGE.parent / "flags"
FLAGS_LINK = PACKAGE / "flags"
FLAGS_PACKAGE = "estimator_cnn.flags"
FLAGS_MAY_IMPORT = set(ALLOWED) - {"experiments"} | {"flags"}
# Everything of ours that imports flags/: the package, flags/ itself, run.py, scripts and tests.
IMPORTERS_OF_FLAGS = [PACKAGE.parent / "run.py",
                      *(path for folder in (PACKAGE, FLAGS_FOLDER, PACKAGE.parent / "scripts",
                                            PACKAGE.parent / "tests")
                        for path in sorted(folder.rglob("*.py")))]
# The mains: run.py's driver and the studies'.
PACKAGE_MAIN = "estimator_cnn.__main__"


def _module_name(path):
  parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# The facade estimator_cnn.estimator, a module beside the parts, sits just above legacy: the parts
# that may import legacy may import it, legacy may not.
FACADE = "facade"
FACADE_MAY_IMPORT = {"base", "legacy"}


def _part(module):
  """The part a module of ours belongs to (FACADE for estimator_cnn.estimator)."""
  parts = module.split(".")
  return FACADE if parts[1:2] == ["estimator"] else parts[1] if len(parts) > 1 else None


def _allowed(part):
  """The parts a module of `part` may import, its own included."""
  if part == FACADE:
    return FACADE_MAY_IMPORT | {part}
  if part not in ALLOWED:
    return set(ALLOWED) | {FACADE}
  return ALLOWED[part] | {part} | ({FACADE} if "legacy" in ALLOWED[part] else set())


def _imports(path):
  """Every module path imported anywhere in the file, functions included."""
  names = set()
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.Import):
      names.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module:
      names.add(node.module)
      names.update(f"{node.module}.{alias.name}" for alias in node.names)
  return names


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
# Our modules each imports; `from estimator_cnn import x` names x, not the package's __init__.
OURS = {module: {name for name in _imports(path)
                 if name in MODULES and name not in (module, "estimator_cnn")}
        for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_only_the_parts_below_its_own(module):
  part = _part(module)
  allowed = _allowed(part)
  wrong = sorted(name for name in OURS[module] if _part(name) not in allowed)
  assert not wrong, f"{module} ({part}) imports {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_absl_flags_and_the_face_only_in_the_mains(module):
  imported = _imports(MODULES[module])
  uses_flags = any(name == "absl.flags" or name == FLAGS_PACKAGE
                   or name.startswith(FLAGS_PACKAGE + ".") for name in imported)
  if uses_flags:
    assert module == PACKAGE_MAIN or (module.startswith("estimator_cnn.experiments.")
                                      and module.endswith(".__main__")), (
        f"{module} imports absl flags or flags/")


def test_no_import_cycle():
  visiting, done = [], set()

  def visit(module):
    if module in visiting:
      pytest.fail(f"import cycle: {' -> '.join(visiting[visiting.index(module):] + [module])}")
    if module in done:
      return
    visiting.append(module)
    for name in OURS[module]:
      visit(name)
    visiting.pop()
    done.add(module)

  for module in MODULES:
    visit(module)


def test_every_part_is_a_folder_with_a_docstring():
  assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and not path.is_symlink()
          and (path / "__init__.py").exists()} == set(ALLOWED)
  for part in ALLOWED:
    assert ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text())), part


@pytest.mark.parametrize("path", sorted(FLAGS_FOLDER.glob("*.py")), ids=lambda path: path.name)
def test_flags_import_no_part_whose_mains_import_them(path):
  ours = {name for name in _imports(path) if name.startswith("estimator_cnn.")}
  wrong = sorted(name for name in ours if _part(name) not in FLAGS_MAY_IMPORT)
  assert not wrong, f"flags/{path.name} imports {wrong}"


def test_flags_is_the_subpackage_estimator_cnn_flags():
  assert FLAGS_LINK.is_symlink() and str(FLAGS_LINK.readlink()) == "../flags"
  assert FLAGS_LINK.resolve() == FLAGS_FOLDER.resolve()


def test_nothing_imports_flags_by_its_top_level_name():
  wrong = {str(path.relative_to(PACKAGE.parent)): names for path in IMPORTERS_OF_FLAGS
           if (names := sorted(name for name in _imports(path) if name.split(".")[0] == "flags"))}
  assert not wrong, f"import {FLAGS_PACKAGE} instead: {wrong}"


# The parts below app/ take the values they need, never run.py's Settings (app.settings) whole:
# app.resolve hands them a resolved run's parts.
BELOW_SETTINGS = ("data", "model", "training")


@pytest.mark.parametrize("module", sorted(name for name in MODULES
                                          if _part(name) in BELOW_SETTINGS))
def test_parts_below_app_never_receive_the_settings(module):
  tree = ast.parse(MODULES[module].read_text())
  parameters = {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
                for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs]}
  read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
  assert "settings" not in parameters | read, f"{module} takes the Settings"
