"""TF 2.15's private forwarding modules (`tensorflow.python.estimator.*`, five of
`tensorflow.python.tpu`) import on every stack with every name TF 2.15's have."""

import importlib

import pytest

from estimator_cnn import estimator  # pylint: disable=unused-import
from estimator_cnn.base.tf_setup import TF_VERSION, major_minor
from estimator_cnn.legacy import private_paths

MODULES = private_paths.load_list()


def test_the_list_is_tf215s_own():
  """On TF 2.15 the list is what its modules are: regenerate it with
  scripts/list_private_modules.py if this fails."""
  if major_minor(TF_VERSION) >= (2, 16):
    pytest.skip("TF >= 2.16 has no forwarding modules to compare with")
  assert private_paths.describe_installed() == MODULES


def test_the_list_has_the_36_modules_and_underscored_names():
  assert len(MODULES) == 36
  assert "_Head" in MODULES["tensorflow.python.estimator.canned.head"]["names"]
  assert "_TPU_ESTIMATOR" in MODULES["tensorflow.python.tpu.tpu_estimator"]["names"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_imports_with_every_name_forwarding_to_tensorflow_estimator(name):
  module = importlib.import_module(name)
  description = MODULES[name]
  if description["forwards_to"] is None:
    assert hasattr(module, "__path__")
    return
  target = importlib.import_module(description["forwards_to"])
  for attribute in description["names"]:
    assert getattr(module, attribute) is getattr(target, attribute), attribute
