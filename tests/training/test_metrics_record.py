"""The record an evaluation leaves in JSON."""

import json

import numpy as np

from estimator_cnn.training import metrics_record


def test_record_holds_the_step_accuracy_and_loss_as_json_numbers():
  metrics = {"global_step": np.int64(30), "accuracy": np.float32(0.5), "loss": np.float32(1.25),
             "other": 1}
  record = metrics_record.from_metrics(metrics)
  assert record == {"step": 30, "accuracy": 0.5, "loss": 1.25}
  assert json.loads(json.dumps(record)) == record
