"""TensorFlow's own tf_upgrade_v2 tables, read in place: TF 1.x-only names and tf.contrib."""

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.legacy import upgrade_tables


def test_tf1_only_names_are_listed_and_missing_from_tf2():
  names = ["tf.logging.info", "tf.train.AdamOptimizer", "tf.placeholder", "tf.Session",
           "tf.app.flags.DEFINE_string", "tf.nn.relu", "tf.compat.v1.placeholder", "tf.data"]
  assert upgrade_tables.tf1_only_names(names) == [
      "tf.Session", "tf.app.flags.DEFINE_string", "tf.logging.info", "tf.placeholder",
      "tf.train.AdamOptimizer"]


def test_contrib_renames_come_from_the_tables():
  renames = upgrade_tables.contrib_renames()
  assert renames["tf.contrib.data.map_and_batch"] == "tf.data.experimental.map_and_batch"
  assert renames["tf.contrib.framework.nest.flatten"] == "tf.nest.flatten"
  assert upgrade_tables.resolve(renames["tf.contrib.framework.nest.flatten"]) is tf.nest.flatten
  assert len(renames) > 50 and all(old.startswith("tf.contrib.") for old in renames)
  # Its arguments change (a `step`), so it is no plain rename.
  assert "tf.contrib.summary.scalar" not in renames


def test_replacements_of_contrib_names_the_face_cannot_give():
  # TF 2.15's tables still rename it; 2.21's no longer list it, and tf.compat.v1 has it.
  hook = upgrade_tables.contrib_replacement("tf.contrib.estimator.stop_if_no_decrease_hook")
  assert hook in ("tf.compat.v1.estimator.experimental.stop_if_no_decrease_hook",
                  "tf.estimator.experimental.stop_if_no_decrease_hook")
  assert upgrade_tables.resolve(hook) is not None
  assert upgrade_tables.contrib_replacement("tf.contrib.slim.arg_scope") == "tf_slim.arg_scope"
  assert upgrade_tables.contrib_replacement("tf.contrib.no_such_module.thing") is None


def test_a_contrib_module_without_a_named_replacement_names_its_tensorflow_successor():
  """TF 2's module of the same name (tf.lookup), or the one that took it over (tf.estimator);
  a name that module has is named itself."""
  assert upgrade_tables.contrib_replacement("tf.contrib.lookup.index_table_from_file") == (
      "tf.lookup")
  assert upgrade_tables.contrib_replacement("tf.contrib.lookup") == "tf.lookup"
  assert upgrade_tables.contrib_replacement("tf.contrib.learn.Experiment") == "tf.estimator"
  assert upgrade_tables.contrib_replacement("tf.contrib.learn") == "tf.estimator"
  text_file = upgrade_tables.contrib_replacement("tf.contrib.lookup.TextFileInitializer")
  assert upgrade_tables.resolve(text_file) is tf.lookup.TextFileInitializer
