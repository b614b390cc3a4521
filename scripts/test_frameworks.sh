#!/usr/bin/env bash
# Runs tests/frameworks (make test-frameworks): real frameworks built on tf.estimator
# (requirements-frameworks.txt, requirements-frameworks-nodeps.txt) on TF 2.21 with pandas 3
# (.venv-frameworks), with the same runs on TF 2.15 (.venv-frameworks-legacy) as the reference; and
# tests/legacy/test_input_fn_data.py, whose pandas tests need pandas 3 beside TF 2.21.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$PWD/.venv-frameworks/bin/python"
frameworks=$(grep -h '# framework$' requirements-frameworks.txt requirements-frameworks-nodeps.txt |
             cut -d= -f1)
versions='import importlib.metadata as m, sys
names = ["tensorflow", "tf-keras", "pandas", *sys.argv[1:]]
print(", ".join(f"{name} {m.version(name)}" for name in names), "python", sys.version.split()[0])'
echo "=== stack: frameworks ($("$python" -c "$versions" $frameworks))"
ESTIMATOR_CNN_FRAMEWORKS_LEGACY_PYTHON="$PWD/.venv-frameworks-legacy/bin/python" \
  "$python" -m pytest -q -p no:cacheprovider -rsx --durations=10 tests/frameworks \
  tests/legacy/test_input_fn_data.py "$@"
