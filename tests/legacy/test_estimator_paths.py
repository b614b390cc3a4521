"""Every path to the estimator that TF 2.15 had (estimator_cnn/legacy/estimator_paths.json):
the list is TF 2.15's own, and on TF >= 2.16 each path is there with TF 2.15's module
__name__ and public names, every path to one module being that one object, in a framework's
first look-up right after the one import or the runner, and later."""

import copy
import json

import pytest

from estimator_cnn import estimator  # pylint: disable=unused-import
from estimator_cnn.base.tf_setup import TF_VERSION, major_minor
from estimator_cnn.legacy import estimator_paths
from tests import stacks
from tests.legacy import probes

LISTED = estimator_paths.load_list()
PATCHED = major_minor(TF_VERSION) >= (2, 16)
API_MODULES_WITH_THE_ESTIMATOR = (
    "tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2",
    "tensorflow.compat.v1.compat.v1", "tensorflow.compat.v1.compat.v2",
    "tensorflow.compat.v2.compat.v1", "tensorflow.compat.v2.compat.v2", "tensorflow_estimator")
# What a framework does at its import time: `tensorflow.compat.v2` first, then the v1 estimator
# through it; then every path is looked up for the first time.
_FRAMEWORK_FIRST_LOOK_UP = """
import json
import tensorflow.compat.v2 as tf
Estimator = tf.compat.v1.estimator.Estimator
from estimator_cnn.legacy import estimator_paths
from tests.legacy import probes
print(json.dumps({"estimator": Estimator.__name__,
                  "mismatches": probes.estimator_path_mismatches(estimator_paths.load_list())}))
"""


def test_the_list_is_tf215s_own(tf215_json):
  """The list is what TF 2.15's API modules have (read in a process of TF 2.15's): regenerate
  it with scripts/list_estimator_paths.py if this fails."""
  tf215 = tf215_json(["-c", "import json, tensorflow; "
                      "from estimator_cnn.legacy import estimator_paths; "
                      "print(json.dumps({'tf_version': tensorflow.__version__, "
                      "**estimator_paths.describe_installed()}))"])
  assert tf215 == LISTED


def test_the_list_has_every_api_module_and_submodule():
  """The estimator hangs on TF's 7 API modules (the nested compat ones too) and on
  tensorflow_estimator; v1 paths reach tpu.experimental, v2 ones export and experimental."""
  roots = {path.rpartition(".")[0] for path in LISTED["paths"] if path.endswith(".estimator")}
  assert roots == set(API_MODULES_WITH_THE_ESTIMATOR)
  assert LISTED["paths"]["tensorflow.compat.v2.compat.v1.estimator.tpu.experimental"]["module"] == (
      "tensorflow_estimator.python.estimator.api._v1.estimator.tpu.experimental")
  assert LISTED["paths"]["tensorflow.compat.v1.compat.v2.estimator.export"]["importable"]
  assert "Estimator" in LISTED["modules"]["tensorflow_estimator._api.v1.estimator"]


# On TF 2.15 the probe would import copies of the estimator's modules under their paths (as TF
# 2.15 does), which rebinds tf.compat.v1.estimator & co. for the rest of the process.
only_where_patched = pytest.mark.skipif(
    not PATCHED, reason="TF 2.15's own paths are what the list is made of (see the list test)")


@only_where_patched
def test_every_path_is_tf215s_in_this_process():
  """After the facade import and whatever the other tests touched, every path is there."""
  assert probes.estimator_path_mismatches(LISTED) == []


@only_where_patched
def test_the_probe_sees_a_wrong_module_and_a_second_object():
  """The probe reports a path whose module is not the listed one and two objects for one
  module (an empty report must mean something)."""
  wrong = copy.deepcopy(LISTED)
  wrong["paths"]["tensorflow.estimator"]["module"] = (
      "tensorflow_estimator.python.estimator.api._v1.estimator")
  mismatches = probes.estimator_path_mismatches(wrong)
  assert any(line.startswith("tensorflow.estimator: __name__ ") for line in mismatches)
  assert any(line.startswith("tensorflow.estimator is not the object at ") for line in mismatches)


@stacks.made_by_the_current_run
@pytest.mark.parametrize("how", ["one import", "runner"])
def test_every_path_is_tf215s_at_a_frameworks_import_time(how, tmp_path):
  """In a fresh process, right after `from estimator_cnn import estimator` or through
  `python -m estimator_cnn.legacy`, a framework's `import tensorflow.compat.v2 as tf;
  tf.compat.v1.estimator.Estimator` works and then every path is TF 2.15's."""
  if how == "one import":
    args = ["-c", "from estimator_cnn import estimator\n" + _FRAMEWORK_FIRST_LOOK_UP]
  else:
    script = tmp_path / "framework.py"
    script.write_text(_FRAMEWORK_FIRST_LOOK_UP)
    args = ["-m", "estimator_cnn.legacy", script]
  result = stacks.run(stacks.CURRENT, args)
  assert json.loads(result.stdout.splitlines()[-1]) == {"estimator": "Estimator",
                                                        "mismatches": []}
