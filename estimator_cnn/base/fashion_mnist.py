"""Fashion-MNIST's constants: the class names and the image size."""

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IMAGE_SIZE = 28
NUM_CLASSES = 10
