"""Users' image files: the pixel limit, checked from the header before decoding, and broken files."""

import struct
import zlib

import numpy as np
from PIL import Image
import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.data import user_images


def _png_header_only(path, width, height):
  """A PNG whose header says width x height, with no image data: nothing to decode."""
  def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
  header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
  path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
  return str(path)


def _jpeg_claiming(path, width, height):
  """A small real JPEG whose frame header (SOF0) is rewritten to claim width x height."""
  Image.new("L", (16, 16), 128).save(path, "JPEG")
  content = bytearray(path.read_bytes())
  sof = content.index(b"\xff\xc0")
  content[sof + 5:sof + 9] = struct.pack(">HH", height, width)
  path.write_bytes(bytes(content))
  return str(path)


@pytest.mark.parametrize("make,name", [(_png_header_only, "huge.png"),
                                       (_jpeg_claiming, "huge.jpg")])
def test_picture_over_the_pixel_limit_is_refused_from_its_header(make, name, tmp_path):
  path = make(tmp_path / name, 20000, 20000)
  with pytest.raises(UserError) as error:
    user_images.load_images([path])
  assert str(error.value) == (f"{path} holds 400,000,000 pixels, more than the 40,000,000 "
                              "allowed: shrink it, or pass --max_image_pixels=400000000 to read "
                              "it anyway")


def test_the_limit_can_be_raised_and_lowered(tmp_path):
  path = tmp_path / "small.png"
  Image.new("L", (30, 20), 255).save(path)
  images, _, inverted = user_images.load_images([str(path)], max_pixels=600)
  assert images.shape == (1, 28, 28) and inverted == [True]
  with pytest.raises(UserError, match="holds 600 pixels, more than the 599 allowed"):
    user_images.load_images([str(path)], max_pixels=599)


def test_npy_batch_counts_all_its_pixels_before_reading_them(tmp_path):
  path = tmp_path / "batch.npy"
  np.save(path, np.zeros((10, 28, 28), np.uint8))
  assert len(user_images.load_images([str(path)], max_pixels=7840)[0]) == 10
  with pytest.raises(UserError, match="holds 7,840 pixels, more than the 7,839 allowed"):
    user_images.load_images([str(path)], max_pixels=7839)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff" + b"x" * 50])
def test_broken_picture_is_one_user_error_naming_the_file(content, tmp_path):
  path = tmp_path / ("broken.png" if content.startswith(b"\x89") else "broken.jpg")
  path.write_bytes(content)
  with pytest.raises(UserError, match=f"^{path} is not a readable PNG or JPEG image"):
    user_images.load_images([str(path)])


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_photo_is_read_upright_as_its_exif_orientation_says(tmp_path, orientation):
  """A phone stores a portrait photo sideways with orientation 6: turn 90 degrees clockwise."""
  stored = np.zeros((28, 28), np.uint8)
  stored[:7] = 255  # A bright top band, which orientation 6 turns into the right-hand band.
  exif = Image.Exif()
  exif[0x0112] = orientation  # EXIF Orientation.
  path = str(tmp_path / "photo.jpg")
  Image.fromarray(stored).save(path, "JPEG", quality=100, exif=exif)
  images, _, inverted = user_images.load_images([path], invert="no")
  upright = np.rot90(stored, -1) if orientation == 6 else stored
  assert not inverted[0]
  np.testing.assert_allclose(images[0], upright / 255, atol=0.1)
