"""Synchronous clusters on loopback, run after run: each must end at the planned step, kills included.

    python tests/faults/run_cluster_faults.py [--runs=20] [--kinds=sync_replicas,all_reduce]
        [--steps=60] [--data_dir=DIR] [--seed=0] [--python=PYTHON]

Not part of the test suite: it takes most of an hour. For each kind of
synchronous cluster (--sync_replicas with a parameter server,
--distribution=multi_worker_mirrored) it starts scripts/launch_cluster.py
--runs times in a row, a chief and one worker, each run into a fresh
model_dir. Runs take turns: one whole, one whose worker is killed with SIGKILL,
one whose chief is, each kill at a random global step. A run passes when the
launcher exits 0 within --timeout_secs, the chief's `done` line and the
model_dir's last checkpoint are at --steps, no task printed a Python
traceback, and a killed run has exactly one line from the launcher about the
kill (a parameter-server worker restarts alone; otherwise the cluster restarts
from the chief's last checkpoint). Exits 0 when every run passes.
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(REPO, "scripts", "launch_cluster.py")
KINDS = {
    "sync_replicas": ["--sync_replicas"],
    "all_reduce": ["--distribution=multi_worker_mirrored"],
}
KILLS = (None, "worker0", "chief")  # Taken in turn.
LOG_EVERY = 5


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--runs", type=int, default=20, help="Runs of each kind.")
  parser.add_argument("--kinds", default=",".join(KINDS), help="Kinds of cluster, comma-separated.")
  parser.add_argument("--steps", type=int, default=60, help="Global step every run trains to.")
  parser.add_argument("--data_dir", default=None,
                      help="Fashion-MNIST folder (default: the real data, as run.py finds it).")
  parser.add_argument("--seed", type=int, default=0, help="Seed of the kill moments.")
  parser.add_argument("--timeout_secs", type=float, default=600, help="Longest a run may take.")
  parser.add_argument("--python", default=sys.executable, help="Python that runs the cluster.")
  parser.add_argument("--folder", default=None,
                      help="Folder for the model_dirs and logs (default: a temporary folder, "
                      "deleted when every run passes).")
  return parser.parse_args()


def launcher_command(args, kind, model_dir):
  data = [f"--data_dir={args.data_dir}"] if args.data_dir else []
  return [args.python, LAUNCHER, f"--python={args.python}", "--workers=1", "--no-evaluator",
          "--grace_secs=60", f"--timeout_secs={args.timeout_secs}", "--",
          f"--model_dir={model_dir}", "--conv_blocks=2", "--batch_size=20",
          "--train_subset=2000", f"--log_every={LOG_EVERY}", "--eval_every=20",
          f"--max_steps={args.steps}", *data, *KINDS[kind]]


def run_cluster(command, log_path, kill, kill_step, timeout_secs):
  """Runs the launcher; kills task `kill` once the chief prints a global step >= kill_step.

  Returns (exit code, seconds, output, global step at the kill or None).
  """
  start = time.monotonic()
  process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=REPO, start_new_session=True)
  timer = threading.Timer(timeout_secs, process.kill)
  timer.start()
  lines, pids, killed_at = [], {}, None
  try:
    with open(log_path, "w") as log:
      for line in process.stdout:
        log.write(line)
        lines.append(line)
        started = re.match(r"\[launcher\] (\S+) pid (\d+)$", line.rstrip("\n"))
        if started:
          pids[started.group(1)] = int(started.group(2))
        progress = re.match(r"\[chief\] global_step (\d+)/", line)
        if kill and killed_at is None and progress and int(progress.group(1)) >= kill_step:
          killed_at = int(progress.group(1))
          os.killpg(pids[kill], signal.SIGKILL)
    code = process.wait()
  finally:
    timer.cancel()
    if process.poll() is None:  # This script was interrupted: stop the launcher, which stops all.
      process.send_signal(signal.SIGTERM)
      process.wait()
  return code, time.monotonic() - start, "".join(lines), killed_at


def last_checkpoint_step(model_dir):
  try:
    with open(os.path.join(model_dir, "checkpoint")) as f:
      return int(re.search(r'^model_checkpoint_path: ".*-(\d+)"$', f.read(), re.M).group(1))
  except (OSError, AttributeError):
    return None


def problems_of(args, code, output, kill, killed_at, model_dir):
  """What is wrong with a run; [] when it passed."""
  problems = []
  if code != 0:
    problems.append(f"launcher exit {code}")
  done = re.findall(r"^\[chief\] chief: done, global_step (\d+)", output, re.M)
  if not done or int(done[-1]) != args.steps:
    problems.append(f"chief done at {done[-1] if done else 'never'}")
  if last_checkpoint_step(model_dir) != args.steps:
    problems.append(f"last checkpoint at {last_checkpoint_step(model_dir)}")
  if "Traceback" in output or "Exception in thread" in output:
    problems.append("a traceback")
  told = re.findall(r"^\[launcher\] .* was killed by .*$", output, re.M)
  if kill and (killed_at is None or len(told) != 1):
    problems.append(f"killed at {killed_at}, {len(told)} launcher lines about it")
  if not kill and told:
    problems.append(f"unexpected: {told[0]}")
  return problems


def main():
  args = parse_args()
  rng = random.Random(args.seed)
  base = args.folder or tempfile.mkdtemp(prefix="estimator_cnn-cluster-faults-")
  os.makedirs(base, exist_ok=True)
  rows, failures = [], 0
  for kind in args.kinds.split(","):
    for run in range(1, args.runs + 1):
      kill = KILLS[(run - 1) % len(KILLS)]
      kill_step = rng.randint(LOG_EVERY, args.steps - 2 * LOG_EVERY)
      model_dir = os.path.join(base, f"{kind}-{run:02d}")
      if os.path.exists(model_dir):
        sys.exit(f"{model_dir} exists: pass a new --folder")
      code, seconds, output, killed_at = run_cluster(
          launcher_command(args, kind, model_dir), model_dir + ".log", kill, kill_step,
          args.timeout_secs)
      problems = problems_of(args, code, output, kill, killed_at, model_dir)
      failures += bool(problems)
      told = re.search(r"^\[launcher\] .* was killed by \w+: (.*)$", output, re.M)
      rows.append((kind, run, f"{kill} at step {killed_at}" if kill else "-",
                   told.group(1) if told else "-", f"{seconds:.0f}",
                   last_checkpoint_step(model_dir), "; ".join(problems) or "PASS"))
      print("{:<14} {:>3}  {:<22} {:<80} {:>5} s  checkpoint {}  {}".format(*rows[-1]),
            flush=True)
  for kind in args.kinds.split(","):
    passed = sum(row[-1] == "PASS" for row in rows if row[0] == kind)
    secs = [float(row[4]) for row in rows if row[0] == kind]
    print(f"{kind}: {passed}/{len(secs)} runs ended at global step {args.steps}; "
          f"{min(secs):.0f} to {max(secs):.0f} s a run")
  print(f"\n{'PASS' if not failures else 'FAIL'}: logs in {base}")
  if not failures and not args.folder:
    shutil.rmtree(base)
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
