"""The data: Fashion-MNIST loaders, training splits, the CNN's input_fn, users' own images."""
