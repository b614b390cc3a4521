"""Crash-and-resume fault test: kills run.py training with SIGKILL at random moments and resumes it.

    python tests/faults/run_faults.py [--kills=20] [--steps=300] [--interrupts=12]
        [--reader_runs=12] [--data_dir=DIR] [--model_dir=DIR] [--seed=0] [--python=PYTHON]

Not part of the test suite: it takes several minutes. It trains the 2-block
net uninterrupted once for reference, then trains it again into another
model_dir with --max_steps. That run is first stopped once with SIGTERM and
once with SIGINT (each must save a checkpoint at the step it prints and exit
143 or 130), then killed with SIGKILL --kills times, each time at one of these
random moments: during start-up, a random step into training, while a
checkpoint is being written (a model.ckpt-N_temp folder appears), or just after
a checkpoint's index file appears (before the `checkpoint` file names it).
After each kill the checkpoint a restart resumes from must be complete, and
the restart must take over the lock the killed process left. A last run trains
to the end; then the model_dir must hold the global step asked for, only
complete checkpoints, no partial files and no lock, and its test accuracy must
be within --tolerance of the uninterrupted run's.

Then --mode=eval, predict --output and export run on that model_dir, each
once to the end, then --interrupts times in all stopped by SIGINT (Ctrl-C) or
SIGTERM (kill), in turn, at a random moment of their run, start-up included
(after its first tenth of a second, when Python has not yet run a line of
run.py). Each must end either complete (exit 0) or with exit 130 (143) and one
line on stderr, no traceback; its
report, predictions file or export folder must hold the earlier complete
files or new complete ones, no temporary folder or file may be left, and the
model_dir's checkpoint files must be unchanged.

Last, beside a training into a third model_dir that saves a checkpoint every
step and deletes the old ones (tf.estimator keeps the newest 5), --mode=eval,
predict and export run --reader_runs times in all, in turn, as from a second
terminal. Each must exit 0, name the checkpoint it read, and print no traceback
and no "damaged". Exits 0 when every check passes.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
RUN_TIMEOUT_SECS = 900
POLL_SECS = 0.003
KILL_MODES = ("startup", "step", "checkpoint write", "checkpoint index")
Run = collections.namedtuple("Run", "returncode seconds output killed first_step_secs")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to survive.")
  parser.add_argument("--steps", type=int, default=300, help="Global step to train to.")
  parser.add_argument("--save_every", type=int, default=10, help="Steps between checkpoints.")
  parser.add_argument("--data_dir", default=None,
                      help="Fashion-MNIST folder (default: the real data, as run.py finds it).")
  parser.add_argument("--model_dir", default=None,
                      help="Folder for the two model_dirs (default: a temporary folder, deleted "
                           "when every check passes).")
  parser.add_argument("--seed", type=int, default=0, help="Seed of the kill schedule.")
  parser.add_argument("--python", default=sys.executable, help="Python that runs run.py.")
  parser.add_argument("--tolerance", type=float, default=0.03,
                      help="Largest accuracy difference to the uninterrupted run.")
  parser.add_argument("--interrupts", type=int, default=12,
                      help="SIGINTs and SIGTERMs sent to eval, predict --output and export, "
                      "in turn.")
  parser.add_argument("--reader_runs", type=int, default=12,
                      help="Runs of eval, predict and export, in turn, beside a training that "
                      "saves and deletes checkpoints.")
  return parser.parse_args()


# Before this, Python has not run a line of run.py: a Ctrl-C then is Python's own KeyboardInterrupt.
PYTHON_STARTUP_SECS = 0.1
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Each in turn, for one run of each mode.


def sigint_as_in_a_terminal():
  """In the child: SIGINT's default action, even when this script was started with it ignored
  (`nohup ... &`), so that Ctrl-C reaches run.py as it does from a terminal."""
  signal.signal(signal.SIGINT, signal.SIG_DFL)


def child_env():
  env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
  return {**env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": REPO}


def training_command(args, model_dir):
  command = [args.python, os.path.join(REPO, "run.py"), f"--model_dir={model_dir}",
             "--conv_blocks=2", "--batch_size=20", "--log_every=1", "--seed=1",
             f"--save_checkpoints_steps={args.save_every}", f"--max_steps={args.steps}"]
  return command + ([f"--data_dir={args.data_dir}"] if args.data_dir else [])


def _checkpoint_events(model_dir, seen):
  """New checkpoint writes ("*_temp" folders) and new index files since `seen`; updates seen."""
  entries = set()
  try:
    for entry in os.scandir(model_dir):
      if entry.name.endswith(("_temp", ".index")):
        entries.add((entry.name, entry.stat().st_mtime_ns))
  except FileNotFoundError:  # No model_dir yet, or an entry gone since it was listed.
    pass
  new = entries - seen
  seen.clear()
  seen.update(entries)
  return {name for name, _ in new}


def run_training(command, model_dir, log_path, kill=None, rng=None, startup_secs=None,
                 save_every=None):
  """Runs command until it ends or `kill` (a KILL_MODES entry or a signal) triggers; returns a Run.

  A signal other than SIGKILL is sent up to 2 s after training prints its first step line.
  """
  start = time.monotonic()
  seen = set()
  _checkpoint_events(model_dir, seen)
  deadline = start + rng.uniform(0, startup_secs) if kill == "startup" else None
  steps_to_wait = rng.randint(1, 3 * save_every) if kill == "step" else None
  events_left = rng.randint(1, 3) if kill in ("checkpoint write", "checkpoint index") else None
  output, first_step_secs, sent = "", None, False
  with open(log_path, "w") as log, open(log_path) as reader:
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env(),
                               cwd=REPO, preexec_fn=sigint_as_in_a_terminal)
    try:
      while process.poll() is None and not sent:
        now = time.monotonic()
        if now - start > RUN_TIMEOUT_SECS:
          raise RuntimeError(f"{command} ran over {RUN_TIMEOUT_SECS} s; see {log_path}")
        output += reader.read()
        steps_printed = output.count("\nstep ")
        if steps_printed and first_step_secs is None:
          first_step_secs = now - start
          if isinstance(kill, signal.Signals):
            deadline = now + rng.uniform(0, 2)
        if steps_to_wait and steps_printed >= steps_to_wait:
          deadline = now
        if events_left:
          suffix = "_temp" if kill == "checkpoint write" else ".index"
          events_left -= sum(name.endswith(suffix)
                             for name in _checkpoint_events(model_dir, seen))
          if events_left <= 0:
            deadline = now
        if deadline is not None and now >= deadline:
          process.send_signal(kill if isinstance(kill, signal.Signals) else signal.SIGKILL)
          sent = True
        time.sleep(POLL_SECS)
      process.wait(timeout=RUN_TIMEOUT_SECS)
    finally:
      if process.poll() is None:  # This script failed or was interrupted: end training too.
        process.kill()
        process.wait()
  killed = sent and process.returncode != 0
  return Run(process.returncode, time.monotonic() - start, _read(log_path), killed,
             first_step_secs)


def _read(path):
  with open(path, errors="replace") as f:
    return f.read()


def last_step_printed(output):
  steps = re.findall(r"^step (\d+)/", output, re.M)
  return int(steps[-1]) if steps else None


def check_checkpoint(tf, path, reference):
  """'' if the checkpoint at path has the reference's variables and every tensor reads, else why."""
  try:
    reader = tf.train.load_checkpoint(path)
    shapes = reader.get_variable_to_shape_map()
    for name in shapes:
      reader.get_tensor(name)
  except Exception as e:  # pylint: disable=broad-except
    return f"{os.path.basename(path)} does not load: {type(e).__name__}: {str(e)[:200]}"
  if shapes != reference:
    return f"{os.path.basename(path)} has other variables than a complete checkpoint"
  return ""


def leftovers(model_dir):
  """(partial files and lock temporaries in model_dir, pid in its lock file or None)."""
  from estimator_cnn.training import safety  # pylint: disable=g-import-not-at-top
  found = [os.path.basename(path) for path in safety.partial_files(model_dir)]
  found += [name for name in os.listdir(model_dir) if name.startswith(safety.LOCK_FILE + ".")]
  try:
    pid = re.search(r'"pid": (\d+)', _read(os.path.join(model_dir, safety.LOCK_FILE))).group(1)
  except (FileNotFoundError, AttributeError):
    pid = None
  return found, pid


def accuracy_of(output):
  match = re.findall(r"^test accuracy ([\d.]+) .* global_step (\d+)", output, re.M)
  return (float(match[-1][0]), int(match[-1][1])) if match else (None, None)


def check_signal(tf, run, signum, code, model_dir):
  """(ok, detail) of a run stopped by signum: exit code, resume line, checkpoint at its step."""
  saved = re.search(r"interrupted by (\w+): checkpoint saved at global step (\d+) in .*; "
                    r"resume with: python run\.py --model_dir=(\S+)", run.output)
  if not run.killed:
    return False, "training ended before the signal: raise --steps"
  if not saved:
    return False, f"exit {run.returncode}, no resume line: {run.output[-300:]}"
  latest = tf.train.latest_checkpoint(model_dir) or ""
  ok = (run.returncode == code and saved.group(1) == signum.name
        and saved.group(3) == model_dir and latest.endswith(f"-{saved.group(2)}"))
  return ok, (f"exit {run.returncode}, latest checkpoint {os.path.basename(latest)}, resume line "
              f"says step {saved.group(2)}")


def checkpoint_digests(model_dir):
  """{name: sha256} of the files that make model_dir's checkpoints."""
  digests = {}
  for name in sorted(os.listdir(model_dir)):
    path = os.path.join(model_dir, name)
    if os.path.isfile(path) and (name.startswith("model.ckpt-") or name == "checkpoint"):
      with open(path, "rb") as f:
        digests[name] = hashlib.sha256(f.read()).hexdigest()
  return digests


def temporaries(folder):
  """Names in folder of writes that never finished: hidden temporary folders, *.tmp files."""
  return [name for name in os.listdir(folder) if name.startswith(".") or ".tmp" in name]


def report_problem(report_dir):
  """'' when report_dir holds a complete eval report and nothing else, else what is wrong."""
  from estimator_cnn.report import eval_report  # pylint: disable=g-import-not-at-top
  if set(os.listdir(report_dir)) != {eval_report.METRICS_FILE, *eval_report.PNG_FILES}:
    return f"the report holds {sorted(os.listdir(report_dir))}"
  for name in eval_report.PNG_FILES:
    content = _read_bytes(os.path.join(report_dir, name))
    if not (content.startswith(b"\x89PNG") and content.endswith(b"IEND\xaeB`\x82")):
      return f"{name} is not a complete PNG"
  return json_problem(os.path.join(report_dir, eval_report.METRICS_FILE), "accuracy")


def json_problem(path, key):
  """'' when path holds a JSON object with key, else what is wrong."""
  try:
    with open(path) as f:
      return "" if key in json.load(f) else f"{path} lacks {key}"
  except (OSError, ValueError) as e:
    return f"{path} is not complete JSON: {e}"


def export_problem(export_dir):
  """'' when every version folder of export_dir holds a complete SavedModel, else what is wrong."""
  for version in os.listdir(export_dir):
    for name in ("saved_model.pb", os.path.join("variables", "variables.index")):
      if not os.path.isfile(os.path.join(export_dir, version, name)):
        return f"version {version} lacks {name}"
  return ""


def _read_bytes(path):
  with open(path, "rb") as f:
    return f.read()


def interrupt_runs(args, model_dir, folder):
  """{mode: (its run.py command, its output's problem: a function returning '' when complete)}."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  shirt = os.path.join(folder, "shirt.npy")
  np.save(shirt, np.zeros((28, 28), np.float32))
  report, predictions, export = (os.path.join(folder, name)
                                 for name in ("report", "predictions.json", "export"))
  run_py = [args.python, os.path.join(REPO, "run.py"), f"--model_dir={model_dir}"]
  data = [f"--data_dir={args.data_dir}"] if args.data_dir else []
  return {
      "eval": ([*run_py, "--mode=eval", f"--report_dir={report}", *data],
               lambda: report_problem(report)),
      "predict --output": ([*run_py, "--mode=predict", f"--images={shirt}",
                            f"--output={predictions}"],
                           lambda: json_problem(predictions, "predictions")),
      "export": ([*run_py, "--mode=export", f"--export_dir={export}"],
                 lambda: export_problem(export)),
  }


def run_interrupted(command, delay, signum=signal.SIGINT):
  """Runs command, sends it signum after delay seconds unless it ended; returns (exit, stderr)."""
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env=child_env(), cwd=REPO,
                             preexec_fn=sigint_as_in_a_terminal)
  try:
    try:
      _, err = process.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
      process.send_signal(signum)
      _, err = process.communicate(timeout=RUN_TIMEOUT_SECS)
  finally:
    if process.poll() is None:  # This script failed or was interrupted: end the run too.
      process.kill()
      process.wait()
  return process.returncode, err


def interrupt_problem(code, err, signum):
  """'' when a run ended complete, or on signum in one line without traceback; else what is
  wrong.

  The signal before run.py handles it (SIGTERM while the flags load) or after (while
  Python exits, the run complete) ends the run by the signal (-2, -15), silently.
  """
  lines = err.strip().splitlines()
  if (code == 0 or (code == -signum and not lines)
      or (code == 128 + signum and len(lines) == 1
          and lines[0].startswith(f"interrupted by {signal.Signals(signum).name}: "))):
    return ""
  return f"exit {code}, stderr ends: {err.strip()[-400:]!r}"


def interrupt_modes(args, rng, model_dir, folder):
  """Runs eval, predict --output and export once each, then stops them --interrupts times with
  SIGINT and SIGTERM in turn at random moments; returns (problems, runs ended by the signal)."""
  runs = interrupt_runs(args, model_dir, folder)
  digests = checkpoint_digests(model_dir)
  durations, problems, stopped = {}, [], 0
  for mode, (command, _) in runs.items():
    start = time.monotonic()
    code, err = run_interrupted(command, RUN_TIMEOUT_SECS)
    durations[mode] = time.monotonic() - start
    if code != 0:
      problems.append(f"{mode} failed uninterrupted: exit {code}: {err.strip()[-400:]}")
  for attempt in range(args.interrupts if not problems else 0):
    mode = list(runs)[attempt % len(runs)]
    command, output_problem = runs[mode]
    signum = INTERRUPT_SIGNALS[attempt // len(runs) % len(INTERRUPT_SIGNALS)]
    delay = rng.uniform(PYTHON_STARTUP_SECS, durations[mode])
    code, err = run_interrupted(command, delay, signum)
    stopped += code == 128 + signum
    left = temporaries(folder) + temporaries(os.path.join(folder, "report"))
    problem = (interrupt_problem(code, err, signum) or output_problem()
               or (f"left {left}" if left else "")
               or ("the model_dir's checkpoint files changed"
                   if checkpoint_digests(model_dir) != digests else ""))
    if problem:
      problems.append(f"{mode} stopped at {delay:.2f} s: {problem}")
    print(f"  {mode}: {signal.Signals(signum).name} at {delay:.2f} s of {durations[mode]:.2f} s, "
          f"exit {code}"
          f"{'  ' + err.strip().splitlines()[-1] if err.strip() else ''}"
          f"{'  PROBLEM: ' + problem if problem else ''}", flush=True)
  return problems, stopped


WRONG_ANSWERS = ("Traceback", "damaged")


def reader_problem(code, output, model_dir):
  """(the step of the checkpoint read, '') when a reader beside training answered right, else
  (None, what is wrong): a non-zero exit, a traceback, a "damaged" message, no checkpoint named."""
  wrong = [text for text in WRONG_ANSWERS if text in output]
  named = re.search(rf"^checkpoint: {re.escape(model_dir)}/model\.ckpt-(\d+) \(global step "
                    r"(\d+)\)$", output, re.M)
  if code != 0 or wrong or not named:
    return None, f"exit {code}, {wrong or 'no checkpoint named'}: {output.strip()[-400:]!r}"
  return int(named.group(1)), ""


def readers_beside_training(args, model_dir, folder, logs):
  """Runs eval, predict and export --reader_runs times in turn beside a training that saves a
  checkpoint every step; returns (problems, steps read, those deleted by the end, exit code)."""
  command = training_command(args, model_dir)
  command = [arg for arg in command if not arg.startswith(("--save_checkpoints_steps=",
                                                           "--max_steps="))]
  command += ["--save_checkpoints_steps=1", f"--max_steps={2**40}"]
  runs = {mode: run_command for mode, (run_command, _) in
          interrupt_runs(args, model_dir, folder).items()}
  problems, read = [], []
  with open(os.path.join(logs, "beside.log"), "w") as log:
    training = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env(),
                                cwd=REPO, preexec_fn=sigint_as_in_a_terminal)
    try:
      deadline = time.monotonic() + RUN_TIMEOUT_SECS
      state, first = (os.path.join(model_dir, name)
                      for name in ("checkpoint", "model.ckpt-0.index"))
      while not os.path.exists(state) or os.path.exists(first):  # Until tf.estimator deletes it.
        if training.poll() is not None or time.monotonic() > deadline:
          raise RuntimeError(f"training did not delete its first checkpoint; see {log.name}")
        time.sleep(0.1)
      for attempt in range(args.reader_runs):
        mode = list(runs)[attempt % len(runs)]
        start = time.monotonic()
        result = subprocess.run(runs[mode], capture_output=True, text=True, env=child_env(),
                                cwd=REPO, timeout=RUN_TIMEOUT_SECS)
        step, problem = reader_problem(result.returncode, result.stdout + result.stderr,
                                       model_dir)
        if problem:
          problems.append(f"{mode} beside training: {problem}")
        else:
          read.append(step)
        print(f"  {mode}: exit {result.returncode} in {time.monotonic() - start:.1f} s, "
              f"{'checkpoint of step ' + str(step) if step is not None else 'PROBLEM: ' + problem}",
              flush=True)
      training.send_signal(signal.SIGTERM)
      training.wait(timeout=RUN_TIMEOUT_SECS)
    finally:
      if training.poll() is None:
        training.kill()
        training.wait()
  deleted = [step for step in read
             if not os.path.exists(os.path.join(model_dir, f"model.ckpt-{step}.index"))]
  return problems, read, deleted, training.returncode


def main():
  args = parse_args()
  rng = random.Random(args.seed)
  base = args.model_dir or tempfile.mkdtemp(prefix="estimator_cnn-faults-")
  reference_dir, model_dir = os.path.join(base, "uninterrupted"), os.path.join(base, "killed")
  logs = os.path.join(base, "logs")
  for folder in (reference_dir, model_dir, logs):
    if os.path.exists(folder):
      sys.exit(f"{folder} exists: pass a new --model_dir")
  os.makedirs(logs)
  from estimator_cnn.base.tf_setup import tf  # pylint: disable=g-import-not-at-top
  checks, failures, rows = [], [], []

  def check(name, ok, detail):
    checks.append((name, bool(ok), detail))

  print(f"uninterrupted run: {args.steps} steps into {reference_dir}", flush=True)
  reference = run_training(training_command(args, reference_dir), reference_dir,
                           os.path.join(logs, "uninterrupted.log"))
  reference_accuracy, _ = accuracy_of(reference.output)
  if reference.returncode != 0 or reference_accuracy is None:
    sys.exit(f"the uninterrupted run failed (exit {reference.returncode}):\n"
             f"{reference.output[-3000:]}")
  variables = tf.train.load_checkpoint(
      tf.train.latest_checkpoint(reference_dir)).get_variable_to_shape_map()
  print(f"  {reference.seconds:.0f} s, test accuracy {reference_accuracy:.4f}", flush=True)

  command = training_command(args, model_dir)
  for signum, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
    run = run_training(command, model_dir, os.path.join(logs, f"{signum.name}.log"), signum, rng)
    ok, detail = check_signal(tf, run, signum, code, model_dir)
    check(f"{signum.name} saves a checkpoint, exits {code}", ok, detail)
    print(f"  {signum.name}: {detail}", flush=True)

  kills = attempts = redone = takeovers = kills_leaving_partial = restarts_removing = 0
  lock_pids, owner = set(), None
  while kills < args.kills and attempts < 3 * args.kills:
    attempts += 1
    mode = rng.choice(KILL_MODES)
    run = run_training(command, model_dir, os.path.join(logs, f"run{attempts:02d}.log"), mode,
                       rng, reference.first_step_secs, args.save_every)
    if owner and f"took over the stale lock of process {owner}," in run.output:
      takeovers += 1
    elif owner and (not run.killed or "\nstep " in run.output):
      failures.append(f"run {attempts} did not take over the lock of killed process {owner}")
    restarts_removing += "partial file(s) of an interrupted run" in run.output
    if not run.killed:
      if run.returncode != 0:
        failures.append(f"run {attempts} failed with exit {run.returncode}: {run.output[-500:]}")
      rows.append((attempts, mode, f"{run.seconds:.1f}", "-", "-", "-", "-", "ended, not killed"))
      owner = None
      continue
    kills += 1
    latest = tf.train.latest_checkpoint(model_dir)
    problem = check_checkpoint(tf, latest, variables) if latest else ""
    if problem:
      failures.append(f"kill {kills}: the checkpoint to resume from is broken: {problem}")
    resume_step = int(latest.rsplit("-", 1)[1]) if latest else 0
    reached = last_step_printed(run.output)
    redone += max(0, (reached or resume_step) - resume_step)
    partial, owner = leftovers(model_dir)
    kills_leaving_partial += bool(partial)
    lock_pids.update([owner] if owner else [])
    rows.append((attempts, mode, f"{run.seconds:.1f}", reached if reached is not None else "-",
                 resume_step, len(partial), owner or "no", "BROKEN" if problem else "complete"))
    print(f"  kill {kills}: {mode} at {run.seconds:.1f} s, last step {reached}, resumes at "
          f"{resume_step}, {len(partial)} partial file(s), lock left by {owner}", flush=True)

  final = run_training(command, model_dir, os.path.join(logs, "final.log"))
  if owner and f"took over the stale lock of process {owner}," in final.output:
    takeovers += 1
  restarts_removing += "partial file(s) of an interrupted run" in final.output
  check("kills survived", kills == args.kills and not failures,
        f"{kills}/{args.kills} in {attempts} runs, {len(failures)} problem(s)")
  check("checkpoint to resume from complete after each kill",
        not any("broken" in failure for failure in failures), f"{kills} checked")
  check("stale lock of each killed process taken over", takeovers == len(lock_pids),
        f"{takeovers}/{len(lock_pids)} locks left by SIGKILL; no restart refused")
  accuracy, global_step = accuracy_of(final.output)
  if accuracy is None and "nothing to train" in final.output:
    print("  the last kill came after the last checkpoint: the final run had nothing left to "
          "train; evaluating the model_dir instead", flush=True)
    data = [f"--data_dir={args.data_dir}"] if args.data_dir else []
    evaluation = subprocess.run(
        [args.python, os.path.join(REPO, "run.py"), f"--model_dir={model_dir}", "--mode=eval",
         f"--report_dir={os.path.join(logs, 'final_report')}", *data],
        capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=RUN_TIMEOUT_SECS)
    accuracy, global_step = accuracy_of(evaluation.stdout)
  check("final run ends cleanly", final.returncode == 0, f"exit {final.returncode}")
  check("global_step as asked", global_step == args.steps, f"{global_step} (asked {args.steps})")
  state = tf.train.get_checkpoint_state(model_dir)
  listed = list(state.all_model_checkpoint_paths) if state else []
  problems = [p for p in (check_checkpoint(tf, path, variables) for path in listed) if p]
  check("every checkpoint listed in `checkpoint` complete", listed and not problems,
        f"{len(listed) - len(problems)}/{len(listed)} load with all variables"
        + (f"; {problems[0]}" if problems else ""))
  partial, owner = leftovers(model_dir)
  check("no partial files or lock left at the end", not partial and not owner,
        f"{', '.join(partial) or 'none'}; {kills_leaving_partial} kill(s) left partial files, "
        f"{restarts_removing} restart(s) removed them")
  difference = accuracy - reference_accuracy if accuracy is not None else float("nan")
  check("accuracy within noise of the uninterrupted run", abs(difference) <= args.tolerance,
        f"{accuracy} vs {reference_accuracy:.4f} (difference {difference:+.4f}, tolerance "
        f"{args.tolerance})")
  if args.interrupts:
    print(f"\nSIGINT and SIGTERM at random moments of eval, predict --output and export on "
          f"{model_dir}", flush=True)
    outputs = os.path.join(base, "outputs")
    os.makedirs(outputs)
    problems, stopped = interrupt_modes(args, rng, model_dir, outputs)
    failures.extend(problems)
    check("Ctrl-C and kill in eval/predict/export: one line, no partial", not problems,
          f"{stopped}/{args.interrupts} runs stopped by the signal, the others ended first; "
          f"{len(problems)} problem(s)")

  if args.reader_runs:
    beside_dir = os.path.join(base, "beside")
    print(f"\neval, predict --output and export beside a training saving every step into "
          f"{beside_dir}", flush=True)
    outputs = os.path.join(base, "beside-outputs")
    os.makedirs(outputs)
    problems, read, deleted, code = readers_beside_training(args, beside_dir, outputs, logs)
    failures.extend(problems)
    check("eval/predict/export beside training: right answers", not problems,
          f"{args.reader_runs - len(problems)}/{args.reader_runs} right, {len(problems)} wrong "
          f"(traceback, 'damaged' or exit != 0); steps read {min(read, default='-')}.."
          f"{max(read, default='-')}, {len(deleted)} of them deleted by the training since")
    check("training beside them stops on SIGTERM", code == 143, f"exit {code}")

  print("\nrun  kill mode          secs  last step  resumes at  partial files  lock left by  "
        "checkpoint")
  for row in rows:
    print("{:<4} {:<17} {:>5}  {:>9}  {:>10}  {:>13}  {:>12}  {}".format(*row))
  print(f"\nsteps trained again after kills (done since the last checkpoint): {redone}")
  for failure in failures:
    print(f"problem: {failure}")
  print(f"\n{'check':<52} {'result':<6} detail")
  for name, ok, detail in checks:
    print(f"{name:<52} {'PASS' if ok else 'FAIL':<6} {detail}")
  passed = all(ok for _, ok, _ in checks)
  print(f"\n{'PASS' if passed else 'FAIL'}: {kills} SIGKILLs survived, training on "
        f"{args.data_dir or 'the real data'}; logs in {logs}")
  if passed and not args.model_dir:
    shutil.rmtree(base)
  return 0 if passed else 1


if __name__ == "__main__":
  sys.exit(main())
