"""Examples/s of the synchronous clusters by trainer count, on this machine (loopback).

    python scripts/cluster_throughput.py [--trainers=1,2,3] [--runs=2] [--steps=400]
        [--batch_size=100] [--kinds=sync_replicas,all_reduce]

Starts scripts/launch_cluster.py for each kind, trainer count and run, one after
the other, each into a fresh model_dir, with no evaluator, and prints a markdown
table. A synchronous global step uses one batch of every trainer (--batch_size
is each trainer's), so the examples/s are the chief's global steps from its
first progress line to its `done` line, times trainers x --batch_size, over the
time between the two lines: start-up and the final checkpoint are left out.
Every task shares this machine's cores: the table shows that the clusters work,
not how they scale on machines of their own.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(REPO, "scripts", "launch_cluster.py")
KINDS = {
    "sync_replicas": ["--sync_replicas"],
    "all_reduce": ["--distribution=multi_worker_mirrored"],
}
PROGRESS = re.compile(r"^\[chief\] global_step (\d+)/")
DONE = re.compile(r"^\[chief\] chief: done, global_step (\d+)")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--kinds", default=",".join(KINDS), help="Kinds of cluster, comma-separated.")
  parser.add_argument("--trainers", default="1,2,3", help="Trainer counts (chief + workers).")
  parser.add_argument("--runs", type=int, default=2, help="Runs of each kind and count.")
  parser.add_argument("--steps", type=int, default=400, help="Global steps of a run.")
  parser.add_argument("--batch_size", type=int, default=100, help="Each trainer's batch.")
  parser.add_argument("--python", default=sys.executable, help="Python that runs the cluster.")
  return parser.parse_args()


def examples_per_sec(args, kind, trainers):
  """One run's examples/s between the chief's first progress line and its done line."""
  with tempfile.TemporaryDirectory() as folder:
    command = [args.python, LAUNCHER, f"--python={args.python}", f"--workers={trainers - 1}",
               "--no-evaluator", "--", f"--model_dir={os.path.join(folder, 'model')}",
               f"--max_steps={args.steps}", f"--batch_size={args.batch_size}", *KINDS[kind]]
    first = done = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as launcher:
      for line in launcher.stdout:
        now = time.perf_counter()
        if first is None and (match := PROGRESS.match(line)):
          first = (int(match.group(1)), now)
        elif match := DONE.match(line):
          done = (int(match.group(1)), now)
    if launcher.returncode != 0 or first is None or done is None:
      sys.exit(f"{kind}, {trainers} trainer(s): the launcher exited with {launcher.returncode} "
               "or the chief printed no progress line; run it by hand to see why: "
               + " ".join(command))
  steps, secs = done[0] - first[0], done[1] - first[1]
  return steps * trainers * args.batch_size / secs


def main():
  args = parse_args()
  trainer_counts = [int(count) for count in args.trainers.split(",")]
  print(f"| kind | trainers | examples/s, runs 1 to {args.runs} |\n|---|---:|---|", flush=True)
  for kind in args.kinds.split(","):
    for trainers in trainer_counts:
      figures = [examples_per_sec(args, kind, trainers) for _ in range(args.runs)]
      print(f"| `{kind}` | {trainers} | {', '.join(f'{figure:,.0f}' for figure in figures)} |",
            flush=True)


if __name__ == "__main__":
  main()
