"""new_run_dir: a fresh folder per run, never an existing one."""

import os
import re

from estimator_cnn.training.model_dir import run_folders


def test_runs_started_in_the_same_second_get_folders_of_their_own(tmp_path, monkeypatch):
  monkeypatch.setattr(os.path, "exists", lambda path: not path.endswith("-3"))
  folder = run_folders.new_run_dir(str(tmp_path), "blog_cnn")
  assert re.fullmatch(r"\d{8}-\d{6}-blog_cnn-3", os.path.basename(folder))
  assert os.path.isdir(folder)
