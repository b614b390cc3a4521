"""--mode=train_and_eval as a TF_CONFIG cluster task, and loopback clusters.

The cluster tests start scripts/launch_cluster.py (ps, chief, workers,
evaluator on 127.0.0.1) with this test's Python.
"""

import json
import os
import queue
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from absl import flags

from estimator_cnn.app import cluster as cluster_lib
from estimator_cnn.base import command
from estimator_cnn.base.tf_setup import tf
from tests.helpers import REPO, RUN_PY, parse_settings

LAUNCHER = os.path.join(REPO, "scripts", "launch_cluster.py")
TINY = ["--conv_blocks=2", "--batch_size=20", "--log_every=10", "--eval_every=40"]
CLUSTER_TIMEOUT_SECS = 600  # Four TensorFlow processes on a busy 2-core machine are slow.
_CHIEF_ALONE = '{"cluster": {"chief": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}'


@pytest.mark.parametrize("tf_config,args,message", [
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 0}}',
     ["--max_steps=5"], "TF_CONFIG: If \"cluster\" is set in TF_CONFIG, it must have one"),
    (_CHIEF_ALONE, ["--max_steps=5"], "needs --model_dir"),
    (_CHIEF_ALONE, ["--model_dir=m"], "needs --max_steps"),
])
def test_cluster_task_mistakes_are_one_line(monkeypatch, capsys, tf_config, args, message):
  monkeypatch.setenv("TF_CONFIG", tf_config)
  assert command.run("estimator_cnn.app.cluster:train_and_eval",
                     parse_settings("--mode=train_and_eval", *args)) == 1
  err = capsys.readouterr().err
  assert message in err and len(err.strip().splitlines()) == 1


_ALL_REDUCE = "--distribution=multi_worker_mirrored"


@pytest.mark.parametrize("tf_config,args,message", [
    (None, [], "needs a TF_CONFIG cluster of a chief, workers and an optional evaluator, "
               "not none: set TF_CONFIG"),
    ('{"cluster": {"chief": ["a:1"], "ps": ["b:1"]}, "task": {"type": "chief", "index": 0}}', [],
     "not ['chief', 'ps']"),
    ("{chief", [], "--distribution=multi_worker_mirrored: TF_CONFIG is not valid JSON"),
    ('{"cluster": {"chief": ["a:1"]}, "task": {"type": "chief", "index": 0}}',
     ["--sync_replicas"], "--sync_replicas is for --distribution=parameter_server"),
])
def test_all_reduce_needs_a_cluster_without_ps(monkeypatch, tf_config, args, message):
  if tf_config is None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
  else:
    monkeypatch.setenv("TF_CONFIG", tf_config)
  with pytest.raises(flags.IllegalFlagValueError, match=re.escape(message)):
    parse_settings("--mode=train_and_eval", _ALL_REDUCE, *args)


def test_all_reduce_takes_chief_workers_and_evaluator(monkeypatch):
  monkeypatch.setenv("TF_CONFIG", '{"cluster": {"chief": ["a:1"], "worker": ["b:1"], '
                     '"evaluator": ["c:1"]}, "task": {"type": "worker", "index": 0}}')
  assert parse_settings("--mode=train_and_eval", _ALL_REDUCE).distribution == (
      "multi_worker_mirrored")


@pytest.mark.parametrize("task,args", [
    ("ps", []),
    ("chief", []),
    ("worker", [_ALL_REDUCE]),  # Its strategy starts the server.
])
def test_a_task_whose_port_is_in_use_says_which_in_one_line(fixture_data, tmp_path, task, args):
  """Before it writes anything: the chief writes params.json first when it starts."""
  model_dir = tmp_path / "model"
  with socket.socket() as holder:
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    address = f"127.0.0.1:{port}"
    cluster = {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:1"]}
    if args == [_ALL_REDUCE]:
      del cluster["ps"]
    cluster[task] = [address]
    env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster,
                                                 "task": {"type": task, "index": 0}}))
    result = subprocess.run([sys.executable, RUN_PY, "--mode=train_and_eval", *args,
                             f"--model_dir={model_dir}", f"--data_dir={fixture_data}",
                             "--max_steps=5"], env=env, capture_output=True, text=True,
                            timeout=CLUSTER_TIMEOUT_SECS, cwd=REPO)
  name = "chief" if task == "chief" else f"{task} 0"
  assert result.returncode == 1
  assert result.stderr == (
      f"error: {name} cannot listen on port {port}, its TF_CONFIG address {address}: address "
      "already in use: stop the process that holds it, or give the task another port in "
      "TF_CONFIG\n")
  assert not model_dir.exists()


# Clusters on 127.0.0.1.


_TASK_PIDS = []  # Of every task the launchers of this module's tests started.


@pytest.fixture(autouse=True, name="no_task_left_behind")
def fixture_no_task_left_behind():
  """After each test, kills the process groups of the tasks a launcher left running (in a test
  that failed: the tests assert that it leaves none)."""
  yield
  while _TASK_PIDS:
    try:
      os.killpg(_TASK_PIDS.pop(), signal.SIGKILL)
    except ProcessLookupError:
      pass


class _Cluster:
  """A launch_cluster.py run whose output is read line by line as it comes."""

  def __init__(self, *args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    self._process = subprocess.Popen(
        [sys.executable, LAUNCHER, f"--timeout_secs={CLUSTER_TIMEOUT_SECS}", *args], cwd=REPO,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    self.lines = []
    self._pids = {}
    self._queue = queue.Queue()
    threading.Thread(target=self._read, daemon=True).start()

  def _read(self):
    for line in self._process.stdout:
      started = re.match(r"\[launcher\] (\S+) pid (\d+)$", line.rstrip("\n"))
      if started:
        self._pids[started.group(1)] = int(started.group(2))
        _TASK_PIDS.append(int(started.group(2)))
      self._queue.put(line.rstrip("\n"))
    self._queue.put(None)

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.stop()

  def output(self):
    return "\n".join(self.lines)

  def _next_line(self, deadline):
    """The next line, None at the end of the output; fails the test at the deadline."""
    try:
      line = self._queue.get(timeout=max(deadline - time.time(), 0))
    except queue.Empty:
      pytest.fail(f"the cluster ran too long; output:\n{self.output()}")
    if line is not None:
      self.lines.append(line)
    return line

  def wait_for(self, pattern):
    """The match of the next line that matches pattern."""
    deadline = time.time() + CLUSTER_TIMEOUT_SECS
    while (line := self._next_line(deadline)) is not None:
      match = re.search(pattern, line)
      if match:
        return match
    pytest.fail(f"no line matches {pattern!r}; output:\n{self.output()}")

  def finish(self):
    """Reads the output to its end; returns the launcher's exit code."""
    deadline = time.time() + CLUSTER_TIMEOUT_SECS
    while self._next_line(deadline) is not None:
      pass
    return self._process.wait(timeout=30)

  def send_signal(self, sig):
    self._process.send_signal(sig)

  def pid(self, task):
    return self._pids[task]

  def stop(self):
    """Stops the launcher, which stops its tasks; kills it if it can't (no_task_left_behind
    then kills the tasks)."""
    if self._process.poll() is not None:
      return
    self._process.send_signal(signal.SIGTERM)
    try:
      self._process.wait(timeout=30)
    except subprocess.TimeoutExpired:
      self._process.kill()
      self._process.wait()


def test_task_progress_keeps_the_global_step_training_ended_at():
  v1 = tf.compat.v1
  with tf.Graph().as_default():
    global_step = v1.train.get_or_create_global_step()
    train_op = v1.assign_add(global_step, 1)
    progress = cluster_lib.TaskProgressHook(batch_size=10, last_step=12, every_n_steps=5)
    with v1.train.MonitoredSession(hooks=[progress, v1.train.StopAtStepHook(last_step=12)]) as s:
      assert progress.final_global_step is None
      while not s.should_stop():
        s.run(train_op)
  assert progress.final_global_step == 12


def _done_lines(cluster):
  """{task: (global step, steps it trained or None)} of each task's last `done` line."""
  return {task: (int(step), int(steps) if steps else None) for task, step, steps in re.findall(
      r"\[(\w+)\] [\w ]+: done, global_step (\d+)(?:, trained (\d+) steps)?", cluster.output())}


MAX_STEPS = 60
SYNCHRONOUS = {
    "sync_replicas": ["--sync_replicas"],
    "all_reduce": ["--distribution=multi_worker_mirrored"],
}


@pytest.mark.parametrize("kind", sorted(SYNCHRONOUS))
@pytest.mark.parametrize("kill", [False, True], ids=["whole", "worker_killed"])
def test_synchronous_cluster_ends_at_the_last_step(fixture_data, tmp_path, kind, kill):
  """Each kind twice: once whole, once with worker0 killed by SIGKILL in the middle (a
  parameter-server worker rejoins; an all-reduce cluster restarts from the last checkpoint)."""
  model_dir = str(tmp_path / "model")
  with _Cluster("--workers=1", "--grace_secs=60", "--", f"--data_dir={fixture_data}",
                f"--model_dir={model_dir}", *TINY, "--eval_every=20",
                f"--max_steps={MAX_STEPS}", *SYNCHRONOUS[kind]) as cluster:
    if kill:
      cluster.wait_for(r"\[chief\] global_step ([2-4]\d)/")
      os.killpg(cluster.pid("worker0"), signal.SIGKILL)
    assert cluster.finish() == 0, cluster.output()
  output = cluster.output()
  assert "Traceback" not in output and "Exception in thread" not in output, output
  done = _done_lines(cluster)
  assert done["chief"][0] == done["worker0"][0] == MAX_STEPS, output
  assert done["evaluator"][0] == MAX_STEPS, output
  evaluated = [int(step) for step in re.findall(
      r"\[evaluator\] test accuracy \S+  loss \S+  global_step (\d+)", output)]
  assert evaluated[-1] == MAX_STEPS and evaluated == sorted(evaluated), output
  if kill:
    restarted = ("restarting it (restart 1 of 3)" if kind == "sync_replicas" else
                 "restarting the cluster from the chief's last checkpoint, global step")
    assert f"[launcher] worker0 was killed by SIGKILL: {restarted}" in output, output
    assert len(re.findall(r"^\[launcher\] .*killed", output, re.M)) == 1, output
  elif kind == "all_reduce":
    # Every trainer takes every step: the cluster's batch is 2 x --batch_size.
    assert done["chief"][1] == done["worker0"][1] == MAX_STEPS, output
  else:
    # Each update averages 2 gradients; a trainer's gradient that comes late is dropped.
    assert done["chief"][1] > 0 and done["worker0"][1] > 0, output
  if kind == "sync_replicas":
    assert "[launcher] stopping ps0" in output, output  # ps tasks serve until stopped.
  if kill:
    return
  # The cluster's model_dir is an ordinary one.
  result = subprocess.run([sys.executable, RUN_PY, "--mode=eval", f"--model_dir={model_dir}",
                           f"--data_dir={fixture_data}", f"--report_dir={tmp_path / 'report'}"],
                          capture_output=True, text=True, timeout=CLUSTER_TIMEOUT_SECS, cwd=REPO)
  assert result.returncode == 0, result.stderr
  assert f"global_step {MAX_STEPS}  (100 test images)" in result.stdout.splitlines()[0]


# A stand-in for Python that the launcher runs instead of run.py: the chief exits
# with 3 when given --fail_chief; with --stubborn_ps the ps task ignores SIGTERM and
# starts a child of its own; every task sleeps until it is stopped.
FAKE_PYTHON = """#!{python}
import json, os, signal, subprocess, sys, time
task = json.loads(os.environ["TF_CONFIG"])["task"]["type"]
if task == "ps" and "--stubborn_ps" in sys.argv:
  signal.signal(signal.SIGTERM, signal.SIG_IGN)
  subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", *sys.argv[1:]])
print(task, "started", flush=True)
if task == "chief" and "--fail_chief" in sys.argv:
  sys.exit(3)
time.sleep(120)
"""


@pytest.fixture(name="fake_python")
def fixture_fake_python(tmp_path):
  path = tmp_path / "fake_python"
  path.write_text(FAKE_PYTHON.format(python=sys.executable))
  path.chmod(0o755)
  return str(path)


def _assert_stopped(pids):
  for pid in pids:
    with pytest.raises(ProcessLookupError):
      os.kill(pid, 0)


def _live_processes(groups, marker):
  """The pids of the processes, zombies aside, in one of the process groups or whose command
  line holds marker."""
  pids = []
  for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
      with open(f"/proc/{pid}/stat") as f:
        state, _, group = f.read().rpartition(")")[2].split()[:3]
      with open(f"/proc/{pid}/cmdline", "rb") as f:
        command_line = f.read()
    except OSError:  # It ended meanwhile.
      continue
    if state != "Z" and (int(group) in groups or marker.encode() in command_line):
      pids.append(int(pid))
  return pids


def test_launcher_fails_with_its_chief_and_stops_the_rest(fake_python):
  with _Cluster(f"--python={fake_python}", "--workers=1", "--", "--fail_chief") as cluster:
    assert cluster.finish() == 1
  output = cluster.output()
  assert "[chief] chief started" in output
  assert "[launcher] chief exited with code 3" in output
  for task in ("ps0", "worker0", "evaluator"):
    assert f"[launcher] stopping {task}" in output
  _assert_stopped(cluster.pid(task) for task in ("ps0", "chief", "worker0", "evaluator"))


STOP_BOUND_SECS = 30  # The launcher waits 5 s for SIGTERM, then 5 s for SIGKILL.


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda sig: sig.name)
def test_launcher_stops_every_task_and_their_children_on_a_stop_signal(fake_python, tmp_path,
                                                                        sig):
  """SIGHUP is a closed terminal. The ps task ignores SIGTERM and has a child: SIGKILL ends
  its process group."""
  marker = f"--model_dir={tmp_path}"
  tasks = ("ps0", "chief", "worker0", "worker1", "evaluator")
  with _Cluster(f"--python={fake_python}", "--workers=2", "--", marker,
                "--stubborn_ps") as cluster:
    started = set()
    while started != set(tasks):
      started.add(cluster.wait_for(r"^\[(\w+)\] \w+ started$").group(1))
    cluster.send_signal(sig)
    stopped_at = time.time()
    assert cluster.finish() == 128 + sig
    assert time.time() - stopped_at < STOP_BOUND_SECS
  assert f"[launcher] interrupted by {sig.name}: stopping the cluster" in cluster.output()
  for task in tasks:
    assert f"[launcher] stopping {task}" in cluster.output()
  _assert_stopped(cluster.pid(task) for task in tasks)
  groups = {cluster.pid(task) for task in tasks}  # Each task leads its own.
  deadline = time.time() + STOP_BOUND_SECS  # A process killed may take a moment to go.
  while _live_processes(groups, marker) and time.time() < deadline:
    time.sleep(0.1)
  assert not _live_processes(groups, marker)


@pytest.mark.parametrize("args,message", [
    (["--worker=2"], "--worker=2 is neither a launcher option nor a run.py flag: did you mean "
                     "--workers? (run.py's flags may also follow --)"),
    (["--max_step=5"], "did you mean --max_steps?"),
    (["--python=/nonexistent"], "--python=/nonexistent is not an executable file"),
    (["--python={not_executable}"], "is not an executable file"),
    (["--timeout_secs=-1"], "--timeout_secs=-1 must be > 0: leave it out for no timeout"),
    (["--timeout_secs=nan"], "--timeout_secs=nan must be > 0"),
    (["--grace_secs=-1"], "--grace_secs=-1 must be >= 0"),
    (["--ps=-1"], "--workers, --ps and --restarts must be >= 0"),
    (["--workers=x"], "argument --workers: invalid int value: 'x'"),
    (["--workers=100"], "103 tasks (--workers=100, --ps=1) need"),  # Under a limit of 64.
])
def test_launcher_mistakes_are_one_line_and_start_nothing(tmp_path, args, message):
  not_executable = tmp_path / "python"
  not_executable.write_text("")
  args = [arg.format(not_executable=not_executable) for arg in args]

  def few_open_files():
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

  result = subprocess.run([sys.executable, LAUNCHER, *args, "--", f"--model_dir={tmp_path}"],
                          capture_output=True, text=True, timeout=60, preexec_fn=few_open_files)
  assert result.returncode == 2 and result.stdout == ""
  assert result.stderr.startswith("error: ") and message in result.stderr
  assert len(result.stderr.splitlines()) == 1, result.stderr


def test_launcher_restarts_a_killed_parameter_server_worker_alone(fake_python):
  with _Cluster(f"--python={fake_python}", "--workers=1") as cluster:
    cluster.wait_for(r"\[launcher\] evaluator pid")
    killed = cluster.pid("worker0")
    os.killpg(killed, signal.SIGKILL)
    cluster.wait_for(r"\[launcher\] worker0 was killed by SIGKILL: restarting it "
                     r"\(restart 1 of 3\)$")
    cluster.wait_for(r"\[worker0\] worker started")
    cluster.send_signal(signal.SIGINT)
    assert cluster.finish() == 130
  output = cluster.output()
  assert output.count("[launcher] cluster ") == 1 and cluster.pid("worker0") != killed, output
  _assert_stopped([killed, *(cluster.pid(task) for task in ("ps0", "chief", "worker0"))])


@pytest.mark.parametrize("checkpoint,told", [
    ('model_checkpoint_path: "model.ckpt-40"\nall_model_checkpoint_paths: "model.ckpt-40"\n',
     "global step 40"),
    (None, "none yet (from the start)"),
])
def test_launcher_restarts_an_all_reduce_cluster_that_lost_a_trainer(fake_python, tmp_path,
                                                                     checkpoint, told):
  if checkpoint:
    (tmp_path / "checkpoint").write_text(checkpoint)
  with _Cluster(f"--python={fake_python}", "--workers=1", "--restarts=1", "--",
                "--distribution=multi_worker_mirrored", f"--model_dir={tmp_path}") as cluster:
    cluster.wait_for(r"\[launcher\] evaluator pid")
    first = {task: cluster.pid(task) for task in ("chief", "worker0", "evaluator")}
    os.killpg(first["worker0"], signal.SIGKILL)
    cluster.wait_for(r"\[launcher\] evaluator pid")
    _assert_stopped(first.values())
    os.killpg(cluster.pid("chief"), signal.SIGKILL)  # No restart left: the chief failed.
    assert cluster.finish() == 1
  lines = [line for line in cluster.lines if line.startswith("[launcher]")]
  assert lines.count(f"[launcher] worker0 was killed by SIGKILL: restarting the cluster from "
                     f"the chief's last checkpoint, {told} (restart 1 of 1)") == 1, lines
  assert sum(line.startswith("[launcher] cluster ") for line in lines) == 2
  assert "ps" not in lines[0]  # All-reduce: chief and workers only.
  assert "[launcher] chief exited with code -9" in lines
