"""The Pythons of the two stacks, current (TF 2.21) and legacy (TF 2.15), both with the real
tf.estimator; of the benchmark's optional PyTorch peer and plain TF 1.15; and of TF 2.15 with the
frameworks of requirements-frameworks-nodeps.txt, the reference of tests/frameworks.

Each comes from an environment variable, else from the repo's virtualenv (made by `make setup`,
`make setup-legacy`, `make bench-peers`, `make bench-tf1` and `make frameworks-stacks`).
"""

import os

from estimator_cnn.base.errors import UserError

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CURRENT = "current"
LEGACY = "legacy"
STACKS = (CURRENT, LEGACY)
TORCH = "torch"  # Not a stack of the package: PyTorch for the benchmark's peer, never required.
TF1 = "tf1"  # Nor this: TF 1.15 on Python 3.7, for the benchmark's plain TF 1.x program.
FRAMEWORKS_LEGACY = "frameworks-legacy"  # Not a stack of the package either: only tests/frameworks.
ENV_VARS = {CURRENT: "ESTIMATOR_CNN_CURRENT_PYTHON", LEGACY: "ESTIMATOR_CNN_LEGACY_PYTHON",
            TORCH: "ESTIMATOR_CNN_TORCH_PYTHON", TF1: "ESTIMATOR_CNN_TF1_PYTHON",
            FRAMEWORKS_LEGACY: "ESTIMATOR_CNN_FRAMEWORKS_LEGACY_PYTHON"}
VENVS = {CURRENT: ".venv", LEGACY: ".venv-legacy", TORCH: ".venv-torch", TF1: ".venv-tf1",
         FRAMEWORKS_LEGACY: ".venv-frameworks-legacy"}
_MAKE_TARGETS = {CURRENT: "setup", LEGACY: "setup-legacy", TORCH: "bench-peers", TF1: "bench-tf1",
                 FRAMEWORKS_LEGACY: "frameworks-stacks"}
# Variables that would change how estimator_cnn picks TensorFlow and Keras.
CLEARED_ENV_VARS = ("TF_USE_LEGACY_KERAS", "PYTHONPATH")


class StackNotFound(UserError):
  """A stack's Python is missing; `configured` tells whether its variable named it."""

  def __init__(self, message, configured):
    super().__init__(message)
    self.configured = configured


def python_of(stack):
  """Path of the stack's Python: $ESTIMATOR_CNN_<STACK>_PYTHON, else the repo's venv."""
  env_var = ENV_VARS[stack]
  configured = os.environ.get(env_var)
  if configured:
    if not os.access(configured, os.X_OK):
      raise StackNotFound(f"{env_var}={configured} is not an executable Python", configured=True)
    return configured
  venv_python = os.path.join(REPO_ROOT, VENVS[stack], "bin", "python")
  if not os.access(venv_python, os.X_OK):
    raise StackNotFound(f"no {stack} stack: set {env_var} or run make {_MAKE_TARGETS[stack]} "
                        f"(it creates {venv_python})", configured=False)
  return venv_python


def subprocess_env(extra=None):
  """This process's environment less CLEARED_ENV_VARS, the repo as PYTHONPATH, then `extra`."""
  env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV_VARS}
  env["PYTHONPATH"] = REPO_ROOT
  env.update(extra or {})
  return env
