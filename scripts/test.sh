#!/usr/bin/env bash
# Runs the test suite on three stacks: current (TF 2.21, Python 3.11) and legacy (TF 2.15,
# Python 3.11) in full, then TF 2.21 on Python 3.13 on the subset PY313_TESTS.
set -euo pipefail
cd "$(dirname "$0")/.."
# On Python 3.13: the compatibility module, canned estimators and the zero-edit runner
# (tests/legacy, with the classic program and cross-stack checkpoints), the package's arrows,
# one tiny end-to-end run.
PY313_TESTS=(tests/legacy tests/test_architecture.py tests/app/test_run.py::test_train_eval_resume_and_predict)
status=0
run_stack() {  # name, python, pytest arguments...
  local name=$1 python=$2
  shift 2
  echo "=== stack: $name ($("$python" -c 'import importlib.metadata as m, sys; print("tensorflow", m.version("tensorflow"), "python", sys.version.split()[0])'))"
  ESTIMATOR_CNN_CURRENT_PYTHON="$current" ESTIMATOR_CNN_LEGACY_PYTHON="$PWD/.venv-legacy/bin/python" \
    "$python" -m pytest -q -p no:cacheprovider --durations=15 "$@" || status=$?
}
current="$PWD/.venv/bin/python"
run_stack current "$current" tests "$@"
run_stack legacy "$PWD/.venv-legacy/bin/python" tests "$@"
current="$PWD/.venv-py313/bin/python"
run_stack py313 "$current" "${PY313_TESTS[@]}" "$@"
exit "$status"
