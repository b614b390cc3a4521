"""What every part shares: errors, the TensorFlow import, Fashion-MNIST's constants, file writes."""
