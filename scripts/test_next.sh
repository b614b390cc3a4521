#!/usr/bin/env bash
# Runs tests/legacy on the next stack (make test-next): the newest tf-nightly and tf-keras-nightly,
# with TF 2.15 (.venv-legacy) as the reference, so a TensorFlow change that breaks
# estimator_cnn.legacy shows before its release.
set -euo pipefail
cd "$(dirname "$0")/.."
next="$PWD/.venv-next/bin/python"
echo "=== stack: next ($("$next" -c 'import importlib.metadata as m, sys; print("tf-nightly", m.version("tf-nightly"), "tf-keras-nightly", m.version("tf-keras-nightly"), "python", sys.version.split()[0])'))"
ESTIMATOR_CNN_CURRENT_PYTHON="$next" ESTIMATOR_CNN_LEGACY_PYTHON="$PWD/.venv-legacy/bin/python" \
  "$next" -m pytest -q -p no:cacheprovider --durations=15 tests/legacy "$@"
