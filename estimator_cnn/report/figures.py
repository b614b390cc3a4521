"""Writes the reports' figures: matplotlib's Agg renderer, without TensorFlow."""


def save_figure(figure, path):
  """Writes a figure as a PNG at the resolution all reports use."""
  figure.savefig(path, dpi=100)
