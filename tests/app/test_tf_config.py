"""TF_CONFIG: malformed is one line in every mode; modes without a cluster run without it."""

import json
import os

import pytest

from estimator_cnn.app import tf_config
from tests.helpers import run_in_process

_CHIEF = ["127.0.0.1:2222"]
# The RunConfig of a mode that read this would raise (its model_dir is another), or a worker's
# Estimator would wait for the chief at 127.0.0.1:2222.
CLUSTER = json.dumps({"cluster": {"chief": _CHIEF, "worker": ["127.0.0.1:2223"]},
                      "task": {"type": "worker", "index": 0}, "model_dir": "/elsewhere"})

MALFORMED = {
    "not_json": ("{not json", "TF_CONFIG is not valid JSON"),
    "empty": ("", "TF_CONFIG is set but empty"),
    "array": ("[1,2]", "TF_CONFIG is a JSON array, not a JSON object"),
    "cluster_array": ('{"cluster": [1]}', "TF_CONFIG 'cluster' must be an object of jobs"),
    "job_not_a_list": ('{"cluster": {"chief": "a:1"}, "task": {"type": "chief", "index": 0}}',
                       "cluster job 'chief' must be a non-empty list"),
    "no_port": ('{"cluster": {"chief": ["a"]}, "task": {"type": "chief", "index": 0}}',
                'cluster job \'chief\' has "a", not a "host:port" address'),
    "no_task": (json.dumps({"cluster": {"chief": _CHIEF}}), "has a 'cluster' but no 'task'"),
    "task_array": (json.dumps({"cluster": {"chief": _CHIEF}, "task": [0]}),
                   "'task' must be an object"),
    "index_string": (json.dumps({"cluster": {"chief": _CHIEF},
                                 "task": {"type": "chief", "index": "0"}}),
                     "task 'index' must be an integer >= 0 (it has \"0\")"),
    "index_bool": (json.dumps({"cluster": {"chief": _CHIEF},
                               "task": {"type": "chief", "index": True}}),
                   "task 'index' must be an integer >= 0 (it has true)"),
    "type_missing": (json.dumps({"cluster": {"chief": _CHIEF}, "task": {"index": 0}}),
                     "task 'type' must be a non-empty string"),
    "type_not_a_job": (json.dumps({"cluster": {"chief": _CHIEF},
                                   "task": {"type": "ps", "index": 0}}),
                       "task type 'ps' is not a job of its cluster, chief"),
    "index_past_the_job": (json.dumps({"cluster": {"chief": _CHIEF},
                                       "task": {"type": "chief", "index": 1}}),
                           "task index 1 is past the 1 chief address(es)"),
    "model_dir_number": ('{"model_dir": 3}', "'model_dir' must be a string (it has 3)"),
    "service_string": ('{"service": "x"}', "'service' must be an object"),
}


def _one_line(err):
  lines = err.strip().splitlines()
  assert len(lines) == 1, err
  return lines[0]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_tf_config_is_one_line_and_train_makes_no_model_dir(
    monkeypatch, tmp_path, capsys, case):
  value, message = MALFORMED[case]
  monkeypatch.setenv("TF_CONFIG", value)
  model_dir = tmp_path / "model"
  assert run_in_process("--mode=train", f"--model_dir={model_dir}", "--steps=1") == 1
  line = _one_line(capsys.readouterr().err)
  assert line.startswith("error: TF_CONFIG") and message in line, line
  assert not model_dir.exists()


@pytest.mark.parametrize("mode,args", [
    ("train_and_eval", ["--max_steps=1"]),
    ("eval", []),
    ("predict", []),
    ("export", ["--export_dir=export"]),
    ("inspect", []),
])
def test_malformed_tf_config_is_one_line_in_every_mode(monkeypatch, tmp_path, capsys, mode,
                                                       args):
  monkeypatch.setenv("TF_CONFIG", "{not json")
  monkeypatch.chdir(tmp_path)
  model_dir = [] if mode == "inspect" else ["--model_dir=model"]
  assert run_in_process(f"--mode={mode}", *model_dir, *args) == 1
  assert _one_line(capsys.readouterr().err).startswith("error: TF_CONFIG is not valid JSON")
  assert not os.listdir(tmp_path)


def test_train_under_a_cluster_is_refused_naming_train_and_eval(monkeypatch, tmp_path, capsys):
  monkeypatch.setenv("TF_CONFIG", CLUSTER)
  model_dir = tmp_path / "model"
  assert run_in_process("--mode=train", f"--model_dir={model_dir}", "--steps=1") == 1
  assert _one_line(capsys.readouterr().err) == (
      "error: --mode=train trains in this process alone, but TF_CONFIG names a cluster: pass "
      "--mode=train_and_eval to run its task (worker 0), or unset TF_CONFIG")
  assert not model_dir.exists()


@pytest.mark.parametrize("mode,args", [
    ("eval", ["--report_dir={tmp}/report"]),
    ("predict", ["--predict_indices=0"]),
    ("export", ["--export_dir={tmp}/export"]),
    ("inspect", ["--report_dir={tmp}/report"]),
])
def test_modes_without_a_cluster_run_without_tf_config(monkeypatch, tmp_path, capsys, mode, args,
                                                       fixture_data, tiny_model_dir):
  monkeypatch.setenv("TF_CONFIG", CLUSTER)
  model_dir = [] if mode == "inspect" else [f"--model_dir={tiny_model_dir}"]
  data_dir = [] if mode == "export" else [f"--data_dir={fixture_data}"]
  assert run_in_process(f"--mode={mode}", *model_dir, *data_dir,
                        *(arg.format(tmp=tmp_path) for arg in args)) == 0
  assert _one_line(capsys.readouterr().err) == f"TF_CONFIG ignored: --mode={mode} needs no cluster"
  assert os.environ["TF_CONFIG"] == CLUSTER  # Back for whatever runs next.


def test_train_runs_without_a_tf_config_that_names_no_cluster(monkeypatch, tmp_path, capsys,
                                                              fixture_data):
  monkeypatch.setenv("TF_CONFIG", '{"task": {"type": "chief", "index": 0}}')  # RunConfig: worker.
  assert run_in_process("--mode=train", f"--model_dir={tmp_path / 'model'}",
                        f"--data_dir={fixture_data}", "--conv_blocks=2", "--batch_size=20",
                        "--steps=1") == 0
  assert _one_line(capsys.readouterr().err) == "TF_CONFIG ignored: --mode=train needs no cluster"


@pytest.mark.parametrize("value", [None, "{}"])
def test_no_tf_config_says_nothing(value, capsys):
  environ = {} if value is None else {"TF_CONFIG": value}
  with tf_config.seen_by("predict", environ):
    pass
  assert capsys.readouterr().err == "" and environ.get("TF_CONFIG") == value
