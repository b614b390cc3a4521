"""base.json_files: JSON written whole, read with one-line errors; a result as .json and .md."""

import json

import pytest

from estimator_cnn.base import json_files
from estimator_cnn.base.errors import UserError


def test_a_result_is_written_as_json_and_markdown_and_read_back(tmp_path):
  output_dir = tmp_path / "out"
  paths = json_files.write_results(str(output_dir), "results", {"accuracy": 0.9}, "| a |\n")
  assert paths == (str(output_dir / "results.json"), str(output_dir / "results.md"))
  assert json_files.read_json(paths[0], "results file") == {"accuracy": 0.9}
  assert (output_dir / "results.md").read_text() == "| a |\n"
  assert (output_dir / "results.json").read_text() == json.dumps({"accuracy": 0.9}, indent=2) + "\n"


@pytest.mark.parametrize("content,words", [(None, r"^cannot read ladder file .*: No such file"),
                                           ("{", r"^ladder file .* is not valid JSON: ")])
def test_a_missing_or_malformed_file_is_one_line_naming_what_it_is(tmp_path, content, words):
  path = tmp_path / "ladder.json"
  if content is not None:
    path.write_text(content)
  with pytest.raises(UserError, match=words):
    json_files.read_json(str(path), "ladder file")
