"""The user's own image files (PNG, JPEG, .npy) made to look like Fashion-MNIST's test images.

Fashion-MNIST shows a light garment on a black 28x28 background, so colour
images become grayscale, other sizes are padded to a square and resized, and
images on a light background are inverted.
"""

import csv
import io
import os

import numpy as np
# matplotlib's own image library: reads a picture's size and orientation from its header.
from PIL import ExifTags, Image, ImageOps

from estimator_cnn.base.fashion_mnist import CLASS_NAMES, IMAGE_SIZE
from estimator_cnn.base import atomic_writes
from estimator_cnn.base import json_files
from estimator_cnn.base.errors import UserError
from estimator_cnn.data import idx_csv

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
NPY_EXTENSION = ".npy"
_LUMINANCE_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)
_ACCEPTED_NPY_SHAPES = "(28, 28), (H, W), (H, W, 3), (H, W, 4) or (N, 28, 28)"
OUTPUT_EXTENSIONS = (".json", ".csv")
TOP_COUNT = 3
# A file's pixels are counted from its header before anything is decoded: a 388 KB PNG of
# 20000x20000 pixels would take about 7 GB of memory.
MAX_IMAGE_PIXELS = 40_000_000
# What PIL and matplotlib raise for broken files.
_DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def load_images(paths, invert="auto", max_pixels=MAX_IMAGE_PIXELS):
  """Reads and prepares every file before any is classified.

  Args:
    paths: PNG, JPEG or .npy files; a .npy file may hold a batch (N, 28, 28).
    invert: "auto" (invert images with a light border), "yes" or "no".
    max_pixels: the most pixels a file may hold (a .npy batch: all its images').

  Returns:
    (images float32 (N, 28, 28) in [0, 1], names such as "a.png" or "b.npy[3]",
    whether each image was inverted).

  Raises:
    UserError: naming the first file that is missing, empty or not a usable image.
  """
  _check_not_split_at_a_comma(paths)
  images, names, inverted = [], [], []
  for path in paths:
    raw_images = _read_file(path, max_pixels)
    for index, raw in enumerate(raw_images):
      image, was_inverted = to_model_input(raw, invert)
      images.append(image)
      names.append(f"{path}[{index}]" if len(raw_images) > 1 else path)
      inverted.append(was_inverted)
  return np.stack(images), names, inverted


def _check_not_split_at_a_comma(paths):
  """Raises UserError when missing paths joined with their neighbours by commas name a file:
  --images=a,b.png split a,b.png, which absl's list flags read quoted, as CSV does."""
  for start, path in enumerate(paths):
    if os.path.exists(path):
      continue
    for end in range(start + 2, len(paths) + 1):
      joined = ",".join(paths[start:end])
      if os.path.isfile(joined):
        quoted = joined.replace('"', '""')
        raise UserError(f"{path} does not exist, but {joined} does: --images splits at commas; "
                        f"quote a name that holds one, as in CSV: --images='\"{quoted}\"'")


def _read_file(path, max_pixels):
  """The images in one file, each float32 in [0, 1], (H, W) or (H, W, 3|4)."""
  if not os.path.exists(path):
    raise UserError(f"{path} does not exist: pass PNG, JPEG or .npy files to --images")
  if os.path.isdir(path):
    raise UserError(f"{path} is a folder: pass PNG, JPEG or .npy files to --images")
  if os.path.getsize(path) == 0:
    raise UserError(f"{path} is empty: pass a PNG, JPEG or .npy file with an image in it")
  extension = os.path.splitext(path)[1].lower()
  if extension == NPY_EXTENSION:
    return _read_npy(path, max_pixels)
  if extension in IMAGE_EXTENSIONS:
    _check_pixels(path, _picture_pixels(path), max_pixels)
    return [_read_picture(path)]
  raise UserError(f"{path} has an unsupported extension: pass .png, .jpg, .jpeg or .npy files")


def _check_pixels(path, pixels, max_pixels):
  if pixels > max_pixels:
    raise UserError(f"{path} holds {pixels:,} pixels, more than the {max_pixels:,} allowed: "
                    f"shrink it, or pass --max_image_pixels={pixels} to read it anyway")


def _picture_pixels(path):
  """Width x height of a PNG or JPEG, from its header alone."""
  limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # max_pixels is the limit here.
  try:
    with Image.open(path) as picture:
      width, height = picture.size
  except _DECODER_ERRORS as e:
    raise UserError(f"{path} is not a readable PNG or JPEG image ({e})") from e
  finally:
    Image.MAX_IMAGE_PIXELS = limit
  return width * height



def _read_picture(path):
  """A PNG or JPEG file as float32 in [0, 1], upright as its EXIF orientation says (a phone's
  photo is stored sideways with orientation 6)."""
  # Imported here: matplotlib takes a quarter of a second, which every run.py start would pay.
  from matplotlib import image as mpl_image  # pylint: disable=g-import-not-at-top
  try:
    with Image.open(path) as picture:
      if picture.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        return idx_csv.unit_float(mpl_image.pil_to_array(ImageOps.exif_transpose(picture)))
    picture = mpl_image.imread(path)
  except _DECODER_ERRORS as e:
    raise UserError(f"{path} is not a readable PNG or JPEG image ({e})") from e
  return idx_csv.unit_float(picture)


def _read_npy(path, max_pixels):
  """The images of a .npy file, one image or a batch (N, 28, 28).

  Integers and floats above 1 are read as 0..255 and scaled to [0, 1]. The
  file is mapped, not read, until its shape has been checked.
  """
  try:
    array = np.load(path, allow_pickle=False, mmap_mode="r")
  except (OSError, ValueError, EOFError) as e:
    raise UserError(f"{path} is not a readable .npy file of numbers ({e})") from e
  if not isinstance(array, np.ndarray):
    array.close()
    raise UserError(f"{path} is a .npz archive, expected a single array saved with np.save")
  if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
    raise UserError(f"{path} holds {array.dtype} values, expected integer or float pixels")
  if not _is_accepted_shape(array.shape):
    raise UserError(f"{path} holds an array of shape {array.shape}, expected "
                    f"{_ACCEPTED_NPY_SHAPES}")
  _check_pixels(path, int(np.prod(array.shape[:3 if _is_batch(array.shape) else 2])),
                max_pixels)
  if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 255:
    raise UserError(f"{path} holds pixel values outside [0, 1] and 0..255 (or NaN): "
                    "expected [0, 1] floats or 0..255 integers")
  pixels = array.astype(np.float32)
  if np.issubdtype(array.dtype, np.integer) or array.max() > 1:
    pixels /= 255
  return list(pixels) if _is_batch(array.shape) else [pixels]


def _is_batch(shape):
  return len(shape) == 3 and shape[1:] == (IMAGE_SIZE, IMAGE_SIZE)


def _is_accepted_shape(shape):
  if any(size == 0 for size in shape):
    return False
  return len(shape) == 2 or _is_batch(shape) or (len(shape) == 3 and shape[2] in (3, 4))


def to_grayscale(image):
  """(H, W) float image: RGB weighted by luminance, RGBA composited over white first."""
  if image.ndim == 2:
    return image
  gray = image[..., :3] @ _LUMINANCE_WEIGHTS
  if image.shape[2] == 4:
    alpha = image[..., 3]
    gray = gray * alpha + (1 - alpha)
  return gray


def _resize_weights(in_size, out_size):
  """(out_size, in_size) matrix: area averages to shrink, bilinear interpolation to grow."""
  if in_size >= out_size:
    edges = np.arange(out_size + 1) * in_size / out_size
    starts, ends = edges[:-1, None], edges[1:, None]
    pixels = np.arange(in_size)[None, :]
    overlap = np.clip(np.minimum(ends, pixels + 1) - np.maximum(starts, pixels), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)
  centres = np.clip((np.arange(out_size) + 0.5) * in_size / out_size - 0.5, 0, in_size - 1)
  below = np.floor(centres).astype(int)
  above = np.minimum(below + 1, in_size - 1)
  fraction = centres - below
  weights = np.zeros((out_size, in_size))
  np.add.at(weights, (np.arange(out_size), below), 1 - fraction)
  np.add.at(weights, (np.arange(out_size), above), fraction)
  return weights


def resize(image, size=IMAGE_SIZE):
  """A (H, W) image resized to (size, size)."""
  height, width = image.shape
  return _resize_weights(height, size) @ image @ _resize_weights(width, size).T


def border_brightness(image):
  """Mean of the outermost rows and columns of a (H, W) image."""
  border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
  return float(border.mean())


def to_model_input(image, invert="auto"):
  """Makes one image look like Fashion-MNIST.

  Args:
    image: float (H, W) or (H, W, 3|4) in [0, 1].
    invert: "yes", "no", or "auto" to invert when the border is light (mean > 0.5).

  Returns:
    (float32 (28, 28) in [0, 1], whether it was inverted).
  """
  gray = to_grayscale(np.asarray(image, np.float32))
  background = border_brightness(gray)
  height, width = gray.shape
  side = max(height, width)
  top, left = (side - height) // 2, (side - width) // 2
  square = np.pad(gray, ((top, side - height - top), (left, side - width - left)),
                  constant_values=background)
  small = np.clip(resize(square), 0, 1).astype(np.float32)
  inverted = invert == "yes" or (invert == "auto" and background > 0.5)
  return (1 - small if inverted else small), inverted


def top_classes(probabilities, count=TOP_COUNT):
  """[(class name, probability)] of the `count` likeliest classes, likeliest first."""
  order = np.argsort(probabilities)[::-1][:count]
  return [(CLASS_NAMES[k], float(probabilities[k])) for k in order]


def _output_extension(path):
  return os.path.splitext(path)[1].lower()


def check_output_path(path):
  """Raises UserError when the predictions could not be written to `path`."""
  folder = os.path.dirname(os.path.abspath(path))
  if os.path.isdir(path):
    raise UserError(f"--output={path} is a folder: pass a file name such as preds.json")
  if _output_extension(path) not in OUTPUT_EXTENSIONS:
    raise UserError(f"--output={path}: write predictions to a .json or .csv file")
  if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
    raise UserError(f"--output={path}: folder {folder} does not exist or is not writable")


def write_predictions(path, names, inverted, probabilities, model_dir):
  """Writes each image's top-3 classes atomically, as JSON or as CSV after path's extension."""
  tops = [top_classes(image_probabilities) for image_probabilities in probabilities]
  if _output_extension(path) == ".csv":
    atomic_writes.write_atomically(path, _predictions_csv(names, inverted, tops))
    return
  predictions = [
      {"image": name, "inverted": was_inverted,
       "top3": [{"class": class_name, "probability": probability}
                for class_name, probability in top]}
      for name, was_inverted, top in zip(names, inverted, tops)]
  json_files.write_json(path, {"model_dir": model_dir, "predictions": predictions})


def _predictions_csv(names, inverted, tops):
  """CSV text: a header, then image, inverted (true/false) and the top classes of each image."""
  text = io.StringIO()
  writer = csv.writer(text, lineterminator="\n")
  writer.writerow(["image", "inverted"] + [f"{column}_{rank}" for rank in range(1, TOP_COUNT + 1)
                                           for column in ("class", "probability")])
  for name, was_inverted, top in zip(names, inverted, tops):
    writer.writerow([name, "true" if was_inverted else "false"]
                    + [value for class_probability in top for value in class_probability])
  return text.getvalue()
