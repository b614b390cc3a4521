#!/usr/bin/env bash
# Runs the test suite on three stacks: current (TF 2.21, Python 3.11) and legacy (TF 2.15,
# Python 3.11) in full, then TF 2.21 on Python 3.13 on the subset PY313_TESTS.
# The legacy stack runs beside the other two, to keep the whole run short; its output is
# shown when it ends (docs/development.md has the times).
set -euo pipefail
cd "$(dirname "$0")/.."
# On Python 3.13: the compatibility module, canned estimators and the zero-edit runner
# (tests/legacy, with the classic program and cross-stack checkpoints), the package's arrows,
# one tiny end-to-end run.
PY313_TESTS=(tests/legacy tests/test_architecture.py tests/app/test_run.py::test_train_eval_resume_and_predict)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A background job ignores Ctrl-C: on Ctrl-C or a TERM, every process of this group stops.
trap 'trap - INT TERM; kill -TERM 0' INT TERM
run_stack() {  # name, python of the stack, python of the current stack, pytest arguments...
  local name=$1 python=$2 current=$3
  shift 3
  echo "=== stack: $name ($("$python" -c 'import importlib.metadata as m, sys; print("tensorflow", m.version("tensorflow"), "python", sys.version.split()[0])'))"
  ESTIMATOR_CNN_CURRENT_PYTHON="$current" ESTIMATOR_CNN_LEGACY_PYTHON="$PWD/.venv-legacy/bin/python" \
    "$python" -m pytest -q -p no:cacheprovider --durations=15 --basetemp="$work/$name" "$@"
}
echo "the legacy stack runs in the background; its output follows the other stacks'"
run_stack legacy "$PWD/.venv-legacy/bin/python" "$PWD/.venv/bin/python" tests "$@" \
  > "$work/legacy.log" 2>&1 &
legacy=$!
status=0
run_stack current "$PWD/.venv/bin/python" "$PWD/.venv/bin/python" tests "$@" || status=$?
run_stack py313 "$PWD/.venv-py313/bin/python" "$PWD/.venv-py313/bin/python" "${PY313_TESTS[@]}" "$@" \
  || status=$?
wait "$legacy" || status=$?
cat "$work/legacy.log"
exit "$status"
