"""Starts a train_and_eval cluster on this machine: ps, chief, workers and an evaluator.

Every task listens on a free 127.0.0.1 port and runs
`run.py --mode=train_and_eval` with its own TF_CONFIG and the flags given
after the launcher's own; each line it prints is prefixed with its name. The
launcher waits for the chief, gives the other tasks --grace_secs to finish by
themselves, stops those still running, and exits with 1 if the chief failed.
It stops every task it started (each runs in a process group of its own) on
Ctrl-C, SIGTERM and SIGHUP (a closed terminal), on --timeout_secs, and when a
ps task fails. A mistake in its options is one line, before any task starts.

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
import difflib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
# pylint: disable=wrong-import-position
# No TensorFlow: only run.py's flag names are read.
from estimator_cnn.flags import core as flags_core
# pylint: enable=wrong-import-position

RUN_PY = os.path.join(REPO, "run.py")
HOST = "127.0.0.1"
POLL_SECS = 0.2
STOP_SECS = 5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
USAGE_EXIT_CODE = 2
RESTART_CLUSTER = object()  # What _watch returns when the whole cluster must start again.
# Descriptors the launcher holds for each task (its output pipe), and those Popen opens
# for a moment while it starts one (the child's stdin, the pipe's other end, its error pipe).
FDS_PER_TASK = 1
FDS_WHILE_STARTING = 4


def say_line(line):
  """Prints line to stdout; a stdout that is gone (a closed terminal, a closed pipe) is
  skipped: the tasks must still be watched and stopped."""
  try:
    print(line, flush=True)
  except OSError:
    pass


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
    self.relay = threading.Thread(target=self._relay_output, args=(output_lock,), daemon=True)
    self.relay.start()

  def _relay_output(self, output_lock):
    with self.process.stdout:
      for line in self.process.stdout:
        line = line.rstrip("\n")  # A task killed mid-line ends its output without a newline.
        with output_lock:
          say_line(f"[{self.name}] {line}")


def stop_tasks(tasks, signals=(signal.SIGTERM, signal.SIGKILL)):
  """Stops the process groups of the tasks still running: each signal in turn to them all,
  then up to STOP_SECS for them to exit, before the next."""
  for sig in signals:
    running = [task for task in tasks if task.process.poll() is None]
    for task in running:
      os.killpg(task.process.pid, sig)
    deadline = time.time() + STOP_SECS
    for task in running:
      try:
        task.process.wait(timeout=max(deadline - time.time(), 0))
      except subprocess.TimeoutExpired:
        pass
  for task in tasks:
    task.relay.join(timeout=STOP_SECS)


class Launcher:
  """Starts the tasks, watches them, restarts those killed, and stops them."""

  def __init__(self, options, run_flags):
    self._options = options
    self._run_flags = run_flags
    self._lock = threading.Lock()
    self._tasks = []
    self._cluster = None
    self._restarts = 0
    self._stop_signal = None

  def say(self, message):
    with self._lock:
      say_line(f"[launcher] {message}")

  def stop_on(self, signal_number, frame):
    """The handler of STOP_SIGNALS: the launcher stops the cluster within POLL_SECS. It raises
    nothing, so that no signal can come between a task's start and its record in _tasks, or
    cut the stopping short."""
    del frame
    self._stop_signal = self._stop_signal or signal_number

  def run(self):
    """Runs the cluster, again from the last checkpoint when needed; returns the exit status."""
    try:
      while True:
        self._start_cluster()
        status = self._watch()
        if status is not RESTART_CLUSTER:
          return status
        # They restart from the last checkpoint: nothing to save.
        stop_tasks(self._tasks, signals=(signal.SIGKILL,))
    finally:
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
      if self._stop_signal:
        return self._interrupted()
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
      if self._stop_signal:
        return self._interrupted()
      time.sleep(POLL_SECS)
      self._report_exits(restart=False)
    self._report_exits(restart=False)
    return 0

  def _interrupted(self):
    """The exit status for the stop signal received, as a shell reports it: 128 + its number."""
    self.say(f"interrupted by {signal.Signals(self._stop_signal).name}: stopping the cluster")
    return 128 + self._stop_signal

  def _chief(self):
    return next(task for task in self._tasks if task.task_type == "chief")

  def _stop_tasks(self):
    for task in self._tasks:
      if task.process.poll() is None:
        self.say(f"stopping {task.name}")
    stop_tasks(self._tasks)


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


class _OneLineParser(argparse.ArgumentParser):
  """An ArgumentParser whose every mistake is one line, `error: ...`, and exit code 2."""

  def error(self, message):
    self.exit(USAGE_EXIT_CODE, f"error: {message}\n")

  def option_names(self):
    return [name for action in self._actions for name in action.option_strings]


def parse_args(argv):
  """(launcher options, flags for run.py): run.py's flags follow `--`, or come before it among
  the launcher's options; any other option before `--` is a mistake."""
  parser = _OneLineParser(
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
  end = argv.index("--") if "--" in argv else len(argv)
  options, run_flags = parser.parse_known_args(argv[:end])
  for arg in run_flags:
    if re.match(r"--?[A-Za-z]", arg) and not _is_run_py_flag(arg):
      parser.error(_unknown_option(arg, parser.option_names()))
  run_flags += argv[end + 1:]
  all_reduce = run_flag(run_flags, "distribution") == "multi_worker_mirrored"
  if options.ps is None:
    options.ps = 0 if all_reduce else 1
  if min(options.workers, options.ps, options.restarts) < 0:
    parser.error("--workers, --ps and --restarts must be >= 0")
  if all_reduce == bool(options.ps):
    parser.error("--distribution=multi_worker_mirrored takes --ps=0, a parameter-server "
                 "cluster --ps >= 1")
  if options.timeout_secs is not None and not options.timeout_secs > 0:
    parser.error(f"--timeout_secs={options.timeout_secs:g} must be > 0: leave it out for no "
                 "timeout")
  if not options.grace_secs >= 0:
    parser.error(f"--grace_secs={options.grace_secs:g} must be >= 0")
  if not shutil.which(options.python):
    parser.error(f"--python={options.python} is not an executable file: pass the Python that "
                 f"runs run.py, e.g. --python={sys.executable}")
  mistake = _descriptor_mistake(options)
  if mistake:
    parser.error(mistake)
  return options, run_flags


def _is_run_py_flag(arg):
  """Whether arg, e.g. --model_dir=m or --nosync_replicas, names one of run.py's flags."""
  name = arg.lstrip("-").split("=", 1)[0]
  return name in flags_core.FLAG_MODES or (name.startswith("no")
                                           and name[2:] in flags_core.FLAG_MODES)


def _unknown_option(arg, launcher_options):
  """The one line for an option that is neither the launcher's nor run.py's: the nearest name."""
  name = arg.split("=", 1)[0]
  nearest = difflib.get_close_matches(
      name, launcher_options + [f"--{flag}" for flag in flags_core.FLAG_MODES], n=1)
  hint = f"did you mean {nearest[0]}?" if nearest else "--help lists the launcher's"
  return (f"{arg} is neither a launcher option nor a run.py flag: {hint} (run.py's flags may "
          "also follow --)")


def _descriptor_mistake(options):
  """The one line for more tasks than this process may hold open files for, else None."""
  tasks = 1 + options.workers + options.ps + options.evaluator
  needed = len(os.listdir("/dev/fd")) + tasks * FDS_PER_TASK + FDS_WHILE_STARTING
  limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
  if limit == resource.RLIM_INFINITY or needed <= limit:
    return None
  return (f"{tasks} tasks (--workers={options.workers}, --ps={options.ps}) need {needed} open "
          f"files, more than this process's limit of {limit} (ulimit -n): start fewer tasks, "
          f"or raise the limit, e.g. ulimit -n {needed}")


def main(argv=None):
  options, run_flags = parse_args(sys.argv[1:] if argv is None else argv)
  launcher = Launcher(options, run_flags)
  for sig in STOP_SIGNALS:
    signal.signal(sig, launcher.stop_on)
  return launcher.run()


if __name__ == "__main__":
  sys.exit(main())
