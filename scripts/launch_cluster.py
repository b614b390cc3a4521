"""Starts a train_and_eval cluster on this machine: ps, chief, workers and an evaluator.

Every task listens on a free 127.0.0.1 port and runs
`run.py --mode=train_and_eval` with its own TF_CONFIG and the flags given
after the launcher's own; each line it prints is prefixed with its name. The
launcher waits for the chief, gives the other tasks --grace_secs to finish by
themselves, stops those still running, and exits with 1 if the chief failed.
It stops every task on Ctrl-C, on --timeout_secs, and when a ps task fails.

A task killed by a signal before the chief is done is restarted, --restarts
times in all, with one line saying so. A worker of a parameter-server cluster,
or an evaluator, restarts alone and rejoins. A lost chief or ps task, or any
trainer of an all-reduce cluster (--distribution=multi_worker_mirrored, which
cannot take a task back into a running group), restarts the whole cluster on
new ports: the chief resumes from its last checkpoint in --model_dir.

  python scripts/launch_cluster.py --workers=2 -- --model_dir=/tmp/cluster --max_steps=1000
  python scripts/launch_cluster.py --workers=1 -- --model_dir=/tmp/allreduce --max_steps=1000 \
      --distribution=multi_worker_mirrored
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

RUN_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "run.py")
HOST = "127.0.0.1"
POLL_SECS = 0.2
STOP_SECS = 5
RESTART_CLUSTER = object()  # What _watch returns when the whole cluster must start again.


class Stopped(Exception):
  """Raised by the signal handler on SIGINT or SIGTERM."""

  def __init__(self, signal_number):
    super().__init__(signal_number)
    self.signal_number = signal_number


def free_ports(count):
  """Ports that were free on HOST a moment ago, all different."""
  sockets = [socket.socket() for _ in range(count)]
  try:
    for s in sockets:
      s.bind((HOST, 0))
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def make_cluster(num_ps, num_workers):
  """The TF_CONFIG cluster: {"chief": [...], "worker": [...], "ps": [...]}."""
  ports = iter(free_ports(1 + num_workers + num_ps))
  cluster = {"chief": [f"{HOST}:{next(ports)}"]}
  if num_ps:
    cluster["ps"] = [f"{HOST}:{next(ports)}" for _ in range(num_ps)]
  if num_workers:
    cluster["worker"] = [f"{HOST}:{next(ports)}" for _ in range(num_workers)]
  return cluster


def task_names(cluster, evaluator):
  """[(name, task type, index)] in start order: ps tasks, chief, workers, evaluator."""
  tasks = [(f"ps{i}", "ps", i) for i in range(len(cluster.get("ps", [])))]
  tasks.append(("chief", "chief", 0))
  tasks += [(f"worker{i}", "worker", i) for i in range(len(cluster.get("worker", [])))]
  if evaluator:
    tasks.append(("evaluator", "evaluator", 0))
  return tasks


class Task:
  """One run.py process whose output is relayed with its name in front."""

  def __init__(self, name, task_type, index, cluster, command, output_lock):
    self.name = name
    self.task_type = task_type
    self.index = index
    tf_config = {"cluster": cluster, "task": {"type": task_type, "index": index}}
    env = dict(os.environ, TF_CONFIG=json.dumps(tf_config), PYTHONUNBUFFERED="1")
    self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
    self.reported = False
    self._relay = threading.Thread(target=self._relay_output, args=(output_lock,), daemon=True)
    self._relay.start()

  def _relay_output(self, output_lock):
    for line in self.process.stdout:
      line = line.rstrip("\n")  # A task killed mid-line ends its output without a newline.
      with output_lock:
        sys.stdout.write(f"[{self.name}] {line}\n")
        sys.stdout.flush()

  def stop(self, signals=(signal.SIGTERM, signal.SIGKILL)):
    """Stops the task's process group if it runs: SIGTERM, then SIGKILL after STOP_SECS."""
    for sig in signals:
      if self.process.poll() is not None:
        break
      os.killpg(self.process.pid, sig)
      try:
        self.process.wait(timeout=STOP_SECS)
      except subprocess.TimeoutExpired:
        pass
    self._relay.join(timeout=STOP_SECS)


class Launcher:
  """Starts the tasks, watches them, restarts those killed, and stops them."""

  def __init__(self, options, run_flags):
    self._options = options
    self._run_flags = run_flags
    self._lock = threading.Lock()
    self._tasks = []
    self._cluster = None
    self._restarts = 0

  def say(self, message):
    with self._lock:
      try:
        print(f"[launcher] {message}", flush=True)
      except OSError:  # Whoever read the output is gone; the tasks must still be stopped.
        pass

  def run(self):
    """Runs the cluster, again from the last checkpoint when needed; returns the exit status."""
    try:
      while True:
        self._start_cluster()
        status = self._watch()
        if status is not RESTART_CLUSTER:
          return status
        for task in self._tasks:  # They restart from the last checkpoint: nothing to save.
          task.stop(signals=(signal.SIGKILL,))
    except Stopped as stopped:
      self.say("interrupted: stopping the cluster")
      return 128 + stopped.signal_number
    finally:
      for sig in (signal.SIGINT, signal.SIGTERM):  # A second Ctrl-C must not cut it short.
        signal.signal(sig, signal.SIG_IGN)
      self._stop_tasks()

  def _start_cluster(self):
    self._cluster = make_cluster(self._options.ps, self._options.workers)
    self.say(f"cluster {json.dumps(self._cluster)}")
    self._tasks = []
    for name, task_type, index in task_names(self._cluster, self._options.evaluator):
      self._tasks.append(self._start(name, task_type, index))

  def _start(self, name, task_type, index):
    command = [self._options.python, RUN_PY, "--mode=train_and_eval", *self._run_flags]
    task = Task(name, task_type, index, self._cluster, command, self._lock)
    self.say(f"{name} pid {task.process.pid}")
    return task

  def _report_exits(self, restart=True):
    """Reports the tasks that exited; returns RESTART_CLUSTER if one killed needs it, else None.

    With restart, a task killed by a signal is restarted (--restarts times in all): alone if
    it is a
    worker or the evaluator of a parameter-server cluster, or the evaluator of an all-reduce
    cluster; otherwise with the whole cluster, from the chief's last checkpoint.
    """
    for i, task in enumerate(self._tasks):
      if task.process.poll() is None or task.reported:
        continue
      task.reported = True
      code = task.process.returncode
      if code >= 0 or not restart or self._restarts >= self._options.restarts:
        self.say(f"{task.name} exited with code {code}")
        continue
      self._restarts += 1
      killed = f"{task.name} was killed by {signal.Signals(-code).name}"
      count = f"(restart {self._restarts} of {self._options.restarts})"
      if task.task_type == "evaluator" or (task.task_type == "worker" and not self._all_reduce):
        self.say(f"{killed}: restarting it {count}")
        self._tasks[i] = self._start(task.name, task.task_type, task.index)
        continue
      self.say(f"{killed}: restarting the cluster from the chief's last checkpoint, "
               f"{last_checkpoint(self._model_dir)} {count}")
      return RESTART_CLUSTER
    return None

  @property
  def _all_reduce(self):
    return not self._options.ps

  @property
  def _model_dir(self):
    return run_flag(self._run_flags, "model_dir")

  def _watch(self):
    """Waits for the chief, then up to --grace_secs for the others; returns the exit status,
    or RESTART_CLUSTER."""
    deadline = time.time() + self._options.timeout_secs if self._options.timeout_secs else None
    while self._chief().process.poll() is None or not self._chief().reported:
      if self._report_exits() is RESTART_CLUSTER:
        return RESTART_CLUSTER
      if any(task.task_type == "ps" and task.process.returncode for task in self._tasks):
        self.say("a ps task failed before the chief finished: stopping the cluster")
        return 1
      if deadline and time.time() > deadline:
        self.say(f"the chief did not finish within {self._options.timeout_secs} s: "
                 "stopping the cluster")
        return 1
      time.sleep(POLL_SECS)
    if self._chief().process.returncode != 0:
      self.say("the chief failed: stopping the cluster")
      return 1
    grace_end = time.time() + self._options.grace_secs
    # Parameter servers serve until they are stopped: the others may finish by themselves.
    while time.time() < grace_end and any(t.process.poll() is None for t in self._tasks
                                          if t.task_type != "ps"):
      time.sleep(POLL_SECS)
      self._report_exits(restart=False)
    self._report_exits(restart=False)
    return 0

  def _chief(self):
    return next(task for task in self._tasks if task.task_type == "chief")

  def _stop_tasks(self):
    for task in self._tasks:
      if task.process.poll() is None:
        self.say(f"stopping {task.name}")
      task.stop()


def run_flag(run_flags, name):
  """The value of --name=VALUE or --name VALUE among run.py's flags, None without it."""
  parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
  parser.add_argument(f"--{name}")
  return parser.parse_known_args(run_flags)[0].__dict__[name]


def last_checkpoint(model_dir):
  """'global step N' of the checkpoint model_dir's `checkpoint` file names, or 'none yet'."""
  try:
    with open(os.path.join(model_dir, "checkpoint")) as f:
      step = re.search(r'^model_checkpoint_path: ".*-(\d+)"$', f.read(), re.M)
  except (OSError, TypeError):  # No checkpoint file, or no --model_dir.
    step = None
  return f"global step {step.group(1)}" if step else "none yet (from the start)"


def parse_args(argv):
  """(launcher options, flags for run.py): run.py's flags follow `--` or are the unknown ones."""
  parser = argparse.ArgumentParser(
      description=__doc__.split("\n\n")[0], allow_abbrev=False,
      usage="%(prog)s [options] -- [run.py flags, e.g. --model_dir=DIR --max_steps=N]")
  parser.add_argument("--workers", type=int, default=1, help="workers besides the chief")
  parser.add_argument("--ps", type=int, default=None,
                      help="parameter server tasks: 1 by default, none with "
                      "--distribution=multi_worker_mirrored")
  parser.add_argument("--evaluator", action=argparse.BooleanOptionalAction, default=True,
                      help="start an evaluator task")
  parser.add_argument("--grace_secs", type=float, default=60,
                      help="how long the other tasks may run on once the chief is done")
  parser.add_argument("--timeout_secs", type=float, default=None,
                      help="stop everything if the chief runs longer")
  parser.add_argument("--restarts", type=int, default=3,
                      help="how many times in all a task killed by a signal is restarted")
  parser.add_argument("--python", default=sys.executable, help="the Python that runs run.py")
  options, run_flags = parser.parse_known_args(argv)
  run_flags = [flag for flag in run_flags if flag != "--"]
  all_reduce = run_flag(run_flags, "distribution") == "multi_worker_mirrored"
  if options.ps is None:
    options.ps = 0 if all_reduce else 1
  if options.workers < 0 or options.restarts < 0:
    parser.error("--workers and --restarts must be >= 0")
  if all_reduce == bool(options.ps):
    parser.error("--distribution=multi_worker_mirrored takes --ps=0, a parameter-server "
                 "cluster --ps >= 1")
  return options, run_flags


def _raise_stopped(signal_number, frame):
  del frame
  raise Stopped(signal_number)


def main(argv=None):
  options, run_flags = parse_args(sys.argv[1:] if argv is None else argv)
  signal.signal(signal.SIGINT, _raise_stopped)
  signal.signal(signal.SIGTERM, _raise_stopped)
  return Launcher(options, run_flags).run()


if __name__ == "__main__":
  sys.exit(main())
