"""Eval, predict, export and a second training beside a running training that saves a checkpoint
every step and deletes the old ones (tf.estimator keeps the newest 5).

Each reader evaluates, predicts or exports a complete checkpoint and says which;
the second training gets the lock's message. Never a traceback, a "damaged"
checkpoint or a non-zero exit. How many steps the training runs meanwhile
depends on the CPU; the test asserts only what each run answered, and that the
checkpoints read were then deleted by the training, not how fast.
"""

import os
import re

from tests.helpers import (TINY, run_in_process, stop_with_sigterm, training_in_background,
                           wait_for)

ROUNDS = 1
KEEP_CHECKPOINT_MAX = 5  # tf.estimator's RunConfig default.
WRONG = ("Traceback", "damaged", "not a valid checkpoint", "Couldn't match files")


def _latest_step(log_path):
  steps = re.findall(r"^step (\d+)/", log_path.read_text(), re.M)
  return int(steps[-1]) if steps else -1


def test_readers_beside_a_training_that_saves_and_deletes_checkpoints(fixture_data, tmp_path,
                                                                     capsys):
  model_dir, log_path = str(tmp_path / "model"), tmp_path / "training.log"
  common = [f"--model_dir={model_dir}", "--optimizer=gradient_descent"]
  data = f"--data_dir={fixture_data}"
  runs = {"eval": [data, "--mode=eval", f"--report_dir={tmp_path / 'report'}"],
          "predict": [data, "--mode=predict"],
          "export": ["--mode=export", f"--export_dir={tmp_path / 'export'}"],
          "train": [data, *TINY, "--steps=1"]}
  read = []
  with training_in_background(log_path, data, *common, *TINY, "--steps=1000000",
                              "--save_checkpoints_steps=1", "--log_every=1") as training:
    wait_for(lambda: not os.path.exists(os.path.join(model_dir, "model.ckpt-0.index"))
             and _latest_step(log_path) > KEEP_CHECKPOINT_MAX,
             "training to delete its first checkpoint", training)
    for _ in range(ROUNDS):
      for mode, flags in runs.items():
        code = run_in_process(*common, *flags)
        out, err = capsys.readouterr()
        assert not [wrong for wrong in WRONG if wrong in out + err], (mode, out + err)
        if mode == "train":
          assert code == 1 and err.startswith(
              f"error: {model_dir} is being trained by process {training.pid} on "), err
          continue
        assert code == 0, (mode, err)
        step = re.search(rf"^checkpoint: {re.escape(model_dir)}/model\.ckpt-(\d+) \(global "
                         r"step (\d+)\)$", out, re.M)
        assert step and step.group(1) == step.group(2), (mode, out)
        read.append(int(step.group(1)))
    wait_for(lambda: _latest_step(log_path) > max(read) + KEEP_CHECKPOINT_MAX,
             "training to go past the checkpoints read", training)
    stop_with_sigterm(training)
  output = log_path.read_text()
  assert training.returncode == 143 and "Traceback" not in output, output[-3000:]
  assert len(read) == 3 * ROUNDS
  # The training deleted every checkpoint read: the readers held copies, not the files.
  assert not [step for step in read
              if os.path.exists(os.path.join(model_dir, f"model.ckpt-{step}.index"))]
