"""The runner tells a TF 1.x program from a TF 2.x one by the names its own modules spell."""

import textwrap

from estimator_cnn.legacy import face_choice

TF1_SOURCE = textwrap.dedent("""
    import tensorflow as tf
    from tensorflow import logging
    tf.logging.set_verbosity(tf.logging.INFO)
    optimizer = tf.train.AdamOptimizer(0.1)
    FLAGS = tf.app.flags.FLAGS
    logging.info("hi")
""")
TF2_SOURCE = textwrap.dedent("""
    import tensorflow as tf
    from tensorflow.compat.v1 import estimator as tf_estimator
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    optimizer = tf.compat.v1.train.AdamOptimizer(0.1)
    dataset = tf.data.Dataset.range(3).batch(2)
""")


def test_names_follow_the_aliases_tensorflow_is_bound_to():
  names = face_choice.tensorflow_names(
      "import tensorflow as t\nfrom tensorflow import train as tr\nt.a.b(tr.c)\n")
  assert {"tf.a", "tf.a.b", "tf.train", "tf.train.c"} <= names
  assert not any(name.startswith("t.") for name in names)


def test_tf1_names_are_the_tables_names_tf2_lacks():
  names = face_choice.tf1_names({"script.py": TF1_SOURCE})
  assert {"tf.logging.INFO", "tf.logging.set_verbosity", "tf.train.AdamOptimizer",
          "tf.logging.info"} <= set(names), names
  assert any(name.startswith("tf.app.flags") for name in names), names
  assert face_choice.tf1_names({"script.py": TF2_SOURCE}) == []


def test_own_sources_follow_imports_beside_the_script_and_in_its_package(tmp_path):
  (tmp_path / "pkg").mkdir()
  (tmp_path / "pkg" / "__init__.py").write_text("")
  (tmp_path / "pkg" / "model.py").write_text("from . import layers\n")
  (tmp_path / "pkg" / "layers.py").write_text("import tensorflow as tf\ntf.layers.dense\n")
  (tmp_path / "helper.py").write_text("x = 1\n")
  (tmp_path / "unused.py").write_text("import tensorflow as tf\ntf.logging.info\n")
  script = tmp_path / "main.py"
  script.write_text("import numpy\nimport helper\nfrom pkg import model\n")

  found = face_choice.own_sources(script, str(tmp_path))
  assert {path.rsplit("/", 1)[-1] for path in found} == {
      "main.py", "helper.py", "__init__.py", "model.py", "layers.py"}


def test_choose_says_which_face_in_one_line_and_flags_force_it(tmp_path):
  tf1, tf2 = tmp_path / "tf1.py", tmp_path / "tf2.py"
  tf1.write_text(TF1_SOURCE)
  tf2.write_text(TF2_SOURCE)
  face, line = face_choice.choose(str(tf1), str(tmp_path))
  assert face == face_choice.TF1 and "tf.logging.INFO" in line and "\n" not in line
  face, line = face_choice.choose(str(tf2), str(tmp_path))
  assert face == face_choice.TF2 and "--tf1" in line
  assert face_choice.choose(str(tf2), str(tmp_path), face_choice.TF1)[0] == face_choice.TF1
  assert face_choice.choose(str(tf1), str(tmp_path), face_choice.TF2)[0] == face_choice.TF2
