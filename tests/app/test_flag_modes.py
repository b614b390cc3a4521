"""Every mode takes only its own flags: flags/core.FLAG_MODES against the flags and the code.

Refusing a flag given to another mode is in test_bad_input.py, with the other bad input.
"""

import numpy as np
import pytest

from estimator_cnn.app import main
from estimator_cnn.app import settings as settings_lib
from estimator_cnn.flags import core as flags_core
from tests.helpers import parse_run_flags, parse_settings

# Flags a mode reads without their changing anything there, so the mode does not take them.
READ_WITHOUT_EFFECT = {
    "train": {"eval_every"},  # training_plan works it out for every training.
    # model_params resolves every param of the network; the learning rate and --recipe's
    # (its schedule) change no variable of the checkpoint, and nothing is random.
    **{mode: {"learning_rate", "recipe", "seed"} for mode in flags_core.CHECKPOINT_MODES},
}
# Flags a mode takes that this test's runs do not read: run.py reads --verbose, and
# only a task of a TF_CONFIG cluster reads --sync_replicas and --distribution.
READ_ELSEWHERE = {mode: {"verbose"} for mode in flags_core.MODES}
READ_ELSEWHERE["train_and_eval"] |= {"sync_replicas", "distribution"}


class ReadRecorder(settings_lib.Settings):
  """Settings that note the flags the code reads, or asks whether they were given."""

  def __init__(self, settings):
    super().__init__(**vars(settings))
    object.__setattr__(self, "read", set())  # Settings are frozen.

  def __getattribute__(self, name):
    if name in flags_core.FLAG_MODES:
      object.__getattribute__(self, "read").add(name)
    return object.__getattribute__(self, name)

  def given(self, name):
    self.read.add(name)
    return super().given(name)


def test_the_map_holds_every_flag_of_run_py_and_only_modes():
  assert set(flags_core.FLAG_MODES) == set(parse_run_flags())
  for name, modes in flags_core.FLAG_MODES.items():
    assert modes and set(modes) <= set(flags_core.MODES) and len(set(modes)) == len(modes), name


def test_help_starts_with_the_modes_of_the_map():
  flag_values = parse_run_flags()
  for name, modes in flags_core.FLAG_MODES.items():
    tag = "" if set(modes) == set(flags_core.MODES) else f"[{', '.join(modes)}] "
    help_text = flag_values[name].help
    assert help_text.startswith(tag) and not help_text[len(tag):].startswith("["), name
  assert flag_values["images"].help.startswith("[predict] PNG, JPEG")
  assert flag_values["conv_blocks"].help.startswith(
      "[train, train_and_eval, eval, predict, export] Conv blocks")


def _runs(mode, fixture_data, model_dir, tmp_path):
  """The flags of each run that together take every path of `mode`."""
  data = f"--data_dir={fixture_data}"
  if mode in flags_core.TRAINING_MODES:  # A budget in epochs reads every budget flag.
    return [[data, f"--model_dir={tmp_path / 'model'}", "--conv_blocks=2", "--epochs=0.07"]]
  if mode == "predict":
    image = str(tmp_path / "image.npy")
    np.save(image, np.zeros((28, 28)))
    return [[data, f"--model_dir={model_dir}"],
            [f"--model_dir={model_dir}", f"--images={image}",
             f"--output={tmp_path / 'predictions.json'}"]]
  if mode == "export":
    return [[f"--model_dir={model_dir}", f"--export_dir={tmp_path / 'export'}"]]
  if mode == "inspect":
    return [[data, f"--report_dir={tmp_path / 'report'}"]]
  return [[data, f"--model_dir={model_dir}", f"--report_dir={tmp_path / 'report'}"]]


@pytest.mark.parametrize("mode", flags_core.MODES)
def test_each_mode_reads_the_flags_it_takes_and_no_other(fixture_data, tiny_model_dir, tmp_path,
                                                         capsys, mode):
  read = set()
  for args in _runs(mode, fixture_data, tiny_model_dir, tmp_path):
    recorder = ReadRecorder(parse_settings(f"--mode={mode}", *args))
    main.run(recorder)
    read |= recorder.read
  capsys.readouterr()
  takes = {name for name, modes in flags_core.FLAG_MODES.items() if mode in modes}
  assert takes - read == READ_ELSEWHERE[mode]
  assert read - takes == READ_WITHOUT_EFFECT.get(mode, set())
