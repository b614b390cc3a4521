"""Trains, evaluates or predicts with the Fashion-MNIST CNN: python run.py --help."""

from estimator_cnn.__main__ import entry_point

if __name__ == "__main__":
  entry_point()
