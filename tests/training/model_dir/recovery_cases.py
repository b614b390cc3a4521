"""Random damage to a model_dir, spelled in random ways, and what recovery must do about it.

One case: a model_dir with complete checkpoints at steps 0, 10 and 20, each
checkpoint's files damaged or not, its `checkpoint` index damaged or not, and the
folder passed relative, absolute, as `.` or `..`, through a symlink... check_case
runs the readers' lookup (checkpoint_to_read), then training's start and set_aside,
and checks with TensorFlow's own get_checkpoint_state and checkpoint reader that no
complete checkpoint is lost, that TensorFlow finds the one training resumes from,
and that a refusal is a UserError that changed nothing. tests/training/
test_recovery.py runs a few dozen cases; tests/faults/run_recovery_faults.py many.
"""

import hashlib
import os
import shutil
import tempfile

from hypothesis import strategies as st

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_index
from estimator_cnn.training.model_dir import checkpoint_lookup
from estimator_cnn.training.model_dir import checkpoint_reading
from estimator_cnn.training.model_dir import damaged_checkpoints
from estimator_cnn.training.model_dir import starting_point

v1 = tf.compat.v1
STEPS = (0, 10, 20)
FILE_DAMAGES = ("none", "none", "truncate_data", "truncate_index", "empty_data", "empty_index",
                "delete_data", "delete_index", "delete_all")
# What the `checkpoint` file holds, and the step it names (None: none it can name).
INDEX_DAMAGES = {
    "none": ('model_checkpoint_path: "model.ckpt-20"\n'
             + "".join(f'all_model_checkpoint_paths: "model.ckpt-{step}"\n' for step in STEPS),
             20),
    "empty": ("", None),
    "garbled": ('model_checkpoint_path: "model.ckpt-20\nall_model', None),
    "binary": (bytes(range(256)), None),
    "names_a_missing_one": ('model_checkpoint_path: "model.ckpt-99"\n', 99),
    "parent_paths": ('model_checkpoint_path: "../model.ckpt-20"\n'  # What an earlier release wrote.
                     'all_model_checkpoint_paths: "../model.ckpt-0"\n'
                     'all_model_checkpoint_paths: "../model.ckpt-20"\n', 20),
    "another_folder": ('model_checkpoint_path: "/elsewhere/run/model.ckpt-10"\n', 10),
    "deleted": (None, None),
}
SPELLINGS = ("relative", "dot_relative", "trailing_slash", "through_another", "absolute", "dot",
             "dotdot", "symlink")


def cases():
  """A Hypothesis strategy of (spelling, {step: file damage}, index damage)."""
  return st.tuples(st.sampled_from(SPELLINGS),
                   st.fixed_dictionaries({step: st.sampled_from(FILE_DAMAGES) for step in STEPS}),
                   st.sampled_from(sorted(INDEX_DAMAGES)))


def make_base(tiny_model_dir, folder):
  """A model_dir in folder with complete checkpoints at STEPS (20: a copy of 10's files)."""
  base = shutil.copytree(tiny_model_dir, os.path.join(folder, "base"))
  for name in os.listdir(base):
    if name.startswith("model.ckpt-10."):
      shutil.copy(os.path.join(base, name), os.path.join(base, name.replace("-10.", "-20.")))
  _write(os.path.join(base, checkpoint_index.INDEX_FILE), INDEX_DAMAGES["none"][0])
  return base


def _write(path, content):
  with open(path, "wb" if isinstance(content, bytes) else "w") as f:
    f.write(content)


def _damage(folder, step, damage):
  for name in os.listdir(folder):
    if not name.startswith(f"model.ckpt-{step}."):
      continue
    path = os.path.join(folder, name)
    kind = "index" if name.endswith(".index") else "data" if ".data-" in name else "meta"
    if damage == "delete_all" or damage == f"delete_{kind}":
      os.remove(path)
    elif damage == f"empty_{kind}":
      os.truncate(path, 0)
    elif damage == f"truncate_{kind}":
      os.truncate(path, os.path.getsize(path) // 2)


def _spelled(root, real, spelling):
  """(the folder to run from, model_dir as spelled there) for the model_dir at real."""
  work = os.path.dirname(real)
  if spelling == "dot":
    return real, "."
  if spelling == "dotdot":
    os.mkdir(os.path.join(real, "inner"))
    return os.path.join(real, "inner"), ".."
  if spelling == "symlink":
    os.symlink(real, os.path.join(root, "link"))
    return root, "link"
  if spelling == "through_another":
    os.mkdir(os.path.join(work, "other"))
  return work, {"relative": "m", "dot_relative": "./m", "trailing_slash": "m/",
                "through_another": "other/../m", "absolute": real}[spelling]


def _digests(folder):
  digests = {}
  for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    if os.path.isfile(path):
      with open(path, "rb") as f:
        digests[name] = hashlib.sha256(f.read()).hexdigest()
  return digests


def _complete_steps(folder):
  return [step for step in STEPS
          if checkpoint_reading.read_in_full(os.path.join(folder, f"model.ckpt-{step}"))[0]
          is not None]


def _files_of_step(digests, step):
  return {name: digest for name, digest in digests.items() if name.startswith(f"model.ckpt-{step}.")}


def check_case(base, case):
  """Damages a copy of base as case says and checks recovery; raises AssertionError if wrong."""
  spelling, damages, index_damage = case
  content, named_step = INDEX_DAMAGES[index_damage]
  with tempfile.TemporaryDirectory() as root:
    real = shutil.copytree(base, os.path.join(root, "work", "m"))
    for step, damage in damages.items():
      _damage(real, step, damage)
    index = os.path.join(real, checkpoint_index.INDEX_FILE)
    if content is None:
      os.remove(index)
    else:
      _write(index, content)
    complete = _complete_steps(real)
    before = _digests(real)
    indexed = [step for step in STEPS if f"model.ckpt-{step}.index" in before]
    latest = named_step if named_step is not None else max(indexed, default=None)
    cwd, model_dir = _spelled(root, real, spelling)
    previous = os.getcwd()
    os.chdir(cwd)
    try:
      _check_readers(model_dir, real, complete, latest, before, root)
      _check_training_start(model_dir, real, complete, named_step, before)
    finally:
      os.chdir(previous)


def _expected_step(complete, named_step):
  """The step to resume from: the one the index names if complete, else the newest complete."""
  return named_step if named_step in complete else max(complete)


def _check_readers(model_dir, real, complete, latest, before, root):
  """eval, predict and export read the latest checkpoint (the one the index names, else the
  newest on disk) when it is complete, else refuse; they change nothing."""
  try:
    checkpoint, _, shapes = checkpoint_lookup.checkpoint_to_read(model_dir, None,
                                                                 tempfile.mkdtemp(dir=root))
  except UserError:
    assert latest not in complete, f"readers refused step {latest}, which is complete"
  else:
    assert latest in complete and "global_step" in shapes
    assert os.path.realpath(checkpoint) == os.path.realpath(
        os.path.join(real, f"model.ckpt-{latest}"))
  assert _digests(real) == before, "a reader changed the model_dir"


def _check_training_start(model_dir, real, complete, named_step, before):
  """Training resumes from the expected checkpoint, TensorFlow finds it, nothing is lost."""
  try:
    start = starting_point.training_start(model_dir)
  except UserError:
    assert not complete, f"training refused though {complete} are complete"
    assert _digests(real) == before, "a refused start changed the model_dir"
    return
  damaged_checkpoints.set_aside(model_dir, start, lambda line: None)
  after = _digests(real)
  for step in complete:
    assert _files_of_step(after, step) == _files_of_step(before, step), f"step {step} was lost"
  state = v1.train.get_checkpoint_state(model_dir)  # Raises if the index is still unreadable.
  if not complete:
    assert start.checkpoint is None and state is None
    return
  expected = os.path.join(real, f"model.ckpt-{_expected_step(complete, named_step)}")
  assert os.path.realpath(start.checkpoint) == os.path.realpath(expected)
  latest = v1.train.latest_checkpoint(model_dir)
  assert latest and os.path.realpath(latest) == os.path.realpath(expected)
  assert "global_step" in v1.train.load_checkpoint(latest).get_variable_to_shape_map()
  for path in state.all_model_checkpoint_paths:  # tf.estimator deletes the old ones it lists.
    assert os.path.dirname(os.path.realpath(path)) == os.path.realpath(real), (
        f"the index lists {path}, outside the model_dir")
