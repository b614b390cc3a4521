"""run.py's command line: hints name the command run, positional arguments, --help per mode."""

import os
import signal
import subprocess
import sys

from estimator_cnn import __main__ as run
from estimator_cnn.app import train
from tests.helpers import REPO, TINY, parse_run_flags, run_script, sigint_after

CONSOLE_SCRIPT = "estimator-cnn"


def run_console_script(*args):
  """Runs the entry point as the installed estimator-cnn's wrapper does; returns the process."""
  code = (f"import sys; sys.argv[0] = {CONSOLE_SCRIPT!r}; "
          "from estimator_cnn.__main__ import entry_point; entry_point()")
  return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True,
                        text=True, timeout=300, env={**os.environ, "PYTHONPATH": REPO})


def test_command_name_is_python_run_py_or_the_installed_command():
  assert run.command_name("run.py") == "python run.py"
  assert run.command_name("/work/repo/run.py") == "python run.py"
  assert run.command_name("/usr/local/bin/estimator-cnn") == "estimator-cnn"


def test_python_m_estimator_cnn_names_itself_in_hints_and_errors():
  assert run.command_name("/work/repo/estimator_cnn/__main__.py") == "python -m estimator_cnn"
  assert run.program_name("/work/repo/estimator_cnn/__main__.py") == "estimator_cnn"


def test_the_installed_command_names_itself_in_the_hint_to_evaluate_again(fixture_data,
                                                                           tmp_path):
  model_dir = str(tmp_path / "model")
  done = run_console_script(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                            "--steps=2")
  assert done.returncode == 0, done.stderr[-3000:]
  assert (f"model_dir: {model_dir}  (evaluate again: {CONSOLE_SCRIPT} --mode=eval "
          f"--model_dir={model_dir})") in done.stdout.splitlines()
  assert "python run.py" not in done.stdout


def test_the_resume_hint_names_the_command_run(fixture_data, tmp_path, capsys, monkeypatch):
  model_dir = str(tmp_path / "model")
  monkeypatch.setattr(train, "ProgressHook", sigint_after(2))
  flag_values = parse_run_flags(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                                "--steps=50")
  assert run.run(flag_values, CONSOLE_SCRIPT) == 128 + signal.SIGINT
  assert capsys.readouterr().err == (
      f"interrupted by SIGINT: checkpoint saved at global step 2 in {model_dir}; "
      f"resume with: {CONSOLE_SCRIPT} --model_dir={model_dir} --max_steps=50 --batch_size=20\n")


def test_a_positional_argument_is_one_line_and_exit_code_2(tmp_path):
  done = run_script("shirt.png")
  assert done.returncode == 2
  assert done.stderr == ("error: unexpected argument shirt.png: run.py takes flags only, e.g. "
                         "--images=shirt.png\n")
  assert done.stdout == ""
  done = run_console_script("shirt.png", "coat.png")
  assert done.returncode == 2
  assert done.stderr == (f"error: unexpected arguments shirt.png coat.png: {CONSOLE_SCRIPT} "
                         "takes flags only, e.g. --images=shirt.png,coat.png\n")


def test_help_lists_run_pys_flags_and_their_modes_for_the_script_and_the_installed_command():
  for done in run_console_script("--help"), run_script("--help"):
    assert done.returncode == 0 and done.stderr == "", done.stderr
    for flag in "--model_dir", "--mode", "--export_dir", "--images", "--steps", "--[no]verbose":
      assert f"\n  {flag}: " in done.stdout, (flag, done.stdout)
    assert "--export_dir: [export] " in done.stdout
    assert "--images: [predict] " in done.stdout
    assert "--eval_every: [train_and_eval] " in done.stdout
    assert "--learning_rate: [train, train_and_eval] " in done.stdout
    assert "--conv_blocks: [train, train_and_eval, eval, predict, export] " in done.stdout
    assert "are for those modes only, and refused in the others" in " ".join(done.stdout.split())
  assert f"\n{CONSOLE_SCRIPT}:\n" in run_console_script("--help").stdout


def test_every_help_flag_exits_0_and_a_bad_flag_1():
  for flag in "--helpfull", "--helpshort", "-?":
    done = run_script(flag)
    assert done.returncode == 0 and "--model_dir" in done.stdout, (flag, done.stderr)
  done = run_script("--no_such_flag")
  assert done.returncode == 1 and "Unknown command line flag 'no_such_flag'" in done.stderr
