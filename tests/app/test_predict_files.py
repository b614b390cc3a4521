"""--mode=predict --images: the user's PNG, JPEG and .npy files, their preprocessing and bad files."""

import csv
import json
import os

from matplotlib import image as mpl_image
import numpy as np
import pytest

from estimator_cnn.base.fashion_mnist import CLASS_NAMES
from estimator_cnn.data import idx_csv
from estimator_cnn.data import user_images
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import saved_params
from tests.helpers import run_in_process

LUMINANCE = np.array([0.299, 0.587, 0.114])
TINT = np.array([0.1, 0.2, 0.6])  # A garment dyed blue on white: 1 - g * (1 - TINT) per channel.


@pytest.fixture(scope="module")
def test_images(fixture_data):
  return idx_csv.unit_float(idx_csv.load_fashion_mnist(fixture_data).test_images)


def light_colour_photo(garment):
  """The garment (light on black, 28x28) dyed TINT on a white background, at twice the size."""
  large = np.kron(garment, np.ones((2, 2)))
  return 1 - large[..., None] * (1 - TINT)


def test_light_colour_photo_becomes_the_garment_on_black(test_images):
  garment = test_images[0]
  image, inverted = user_images.to_model_input(light_colour_photo(garment), "auto")
  assert inverted and image.shape == (28, 28) and image.dtype == np.float32
  np.testing.assert_allclose(image, garment * (1 - LUMINANCE @ TINT), atol=1e-5)


def test_dark_background_is_kept_unless_invert_says_yes(test_images):
  garment = test_images[1]
  image, inverted = user_images.to_model_input(garment, "auto")
  assert not inverted
  np.testing.assert_allclose(image, garment, atol=1e-6)
  image, inverted = user_images.to_model_input(garment, "yes")
  assert inverted
  np.testing.assert_allclose(image, 1 - garment, atol=1e-6)
  image, inverted = user_images.to_model_input(1 - garment, "no")
  assert not inverted
  np.testing.assert_allclose(image, 1 - garment, atol=1e-6)


def test_transparent_background_counts_as_white():
  rgba = np.zeros((28, 28, 4))
  rgba[8:20, 10:18] = [0, 0, 0, 1]  # An opaque black garment; the rest is transparent.
  image, inverted = user_images.to_model_input(rgba, "auto")
  assert inverted
  assert image[8:20, 10:18].min() == 1 and image.sum() == 12 * 8


def test_resize_averages_areas_and_interpolates():
  blocks = np.kron(np.arange(28 * 28, dtype=float).reshape(28, 28), np.ones((3, 3)))
  np.testing.assert_allclose(user_images.resize(blocks), np.arange(28 * 28).reshape(28, 28))
  np.testing.assert_allclose(user_images.resize(np.full((100, 61), 0.3)), 0.3)
  ramp = user_images.resize(np.tile(np.linspace(0, 1, 10), (10, 1)))
  assert ramp.shape == (28, 28) and ramp.min() >= 0 and ramp.max() <= 1
  assert np.all(np.diff(ramp[0]) >= 0) and np.allclose(ramp[:, 5], ramp[0, 5])


def test_non_square_image_is_padded_to_a_square_not_stretched():
  tall = np.zeros((40, 20))
  tall[10:30, 5:15] = 1  # 20 rows, 10 columns: stays twice as tall as wide.
  image, _ = user_images.to_model_input(tall, "auto")
  assert image.sum(axis=0).max() == pytest.approx(14) and image.sum(axis=1).max() == pytest.approx(7)
  assert image[:, :7].max() == 0 and image[:, -7:].max() == 0


def test_npy_files_hold_one_image_or_a_batch(tmp_path):
  paths = [str(tmp_path / name) for name in ("one.npy", "batch.npy", "colour.npy")]
  np.save(paths[0], np.full((28, 28), 255, np.uint8))
  np.save(paths[1], np.random.default_rng(0).random((3, 28, 28), np.float32))
  np.save(paths[2], np.zeros((56, 40, 3), np.uint8))
  images, names, inverted = user_images.load_images(paths, "no")
  assert images.shape == (5, 28, 28) and not any(inverted)
  assert names == [paths[0], *(f"{paths[1]}[{i}]" for i in range(3)), paths[2]]
  assert images[0].min() == 1 and images[4].max() == 0


def test_predict_png_jpeg_and_npy_files(tiny_model_dir, test_images, tmp_path, capsys):
  photo = light_colour_photo(test_images[0])
  png, jpeg, npy = (str(tmp_path / name) for name in ("photo.png", "photo.jpg", "batch.npy"))
  mpl_image.imsave(png, photo)
  mpl_image.imsave(jpeg, (photo * 255).round().astype(np.uint8), pil_kwargs={"quality": 95})
  np.save(npy, (test_images[:3] * 255).round().astype(np.uint8))
  output = str(tmp_path / "preds.json")
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict",
                        f"--images={png},{jpeg},{npy}", f"--output={output}") == 0
  checkpoint_line, *lines = capsys.readouterr().out.strip().splitlines()
  assert checkpoint_line == (f"checkpoint: {os.path.join(tiny_model_dir, 'model.ckpt-10')} "
                             "(global step 10)")
  names = [png, jpeg, *(f"{npy}[{i}]" for i in range(3))]
  assert [line.split(":")[0] for line in lines] == [
      f"{png} (inverted)", f"{jpeg} (inverted)", *names[2:], "predictions"]
  with open(output) as f:
    predictions = json.load(f)["predictions"]
  assert [p["image"] for p in predictions] == names
  assert [p["inverted"] for p in predictions] == [True, True, False, False, False]

  estimator = build.make_estimator(tiny_model_dir, saved_params.load_params(tiny_model_dir),
                                    seed=1)
  expected = build.predict_probabilities(estimator, test_images[:3])
  for prediction, probabilities, line in zip(predictions[2:], expected, lines[2:]):
    top3 = np.argsort(probabilities)[::-1][:3]
    assert [t["class"] for t in prediction["top3"]] == [CLASS_NAMES[k] for k in top3]
    np.testing.assert_allclose([t["probability"] for t in prediction["top3"]],
                               probabilities[top3], atol=1e-5)
    assert line.endswith(", ".join(f"{CLASS_NAMES[k]} {probabilities[k]:.3f}"
                                   for k in top3))
  garment_class = predictions[2]["top3"][0]["class"]
  assert predictions[0]["top3"][0]["class"] == predictions[1]["top3"][0]["class"] == garment_class


def _write_text(path, text):
  with open(path, "w") as f:
    f.write(text)


@pytest.mark.parametrize("name,write,message", [
    ("missing.png", None, "does not exist"),
    ("empty.png", lambda path: _write_text(path, ""), "is empty"),
    ("text.png", lambda path: _write_text(path, "not a picture"), "not a readable PNG or JPEG"),
    ("text.jpg", lambda path: _write_text(path, "not a picture"), "not a readable PNG or JPEG"),
    ("text.npy", lambda path: _write_text(path, "not an array"), "not a readable .npy file"),
    ("objects.npy", lambda path: np.save(path, np.array([{}]), allow_pickle=True),
     "not a readable .npy file"),
    ("cube.npy", lambda path: np.save(path, np.zeros((5, 5, 5))), "shape (5, 5, 5), expected"),
    ("hot.npy", lambda path: np.save(path, np.full((28, 28), 300.0)), "pixel values outside"),
    ("picture.gif", lambda path: _write_text(path, "GIF89a"), "unsupported extension"),
])
def test_bad_files_are_refused_in_one_line(tiny_model_dir, tmp_path, capsys, name, write, message):
  good, bad = str(tmp_path / "good.npy"), str(tmp_path / name)
  np.save(good, np.zeros((28, 28)))
  if write:
    write(bad)
  output = tmp_path / "preds.json"
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict", f"--images={good},{bad}",
                        f"--output={output}") == 1
  captured = capsys.readouterr()
  assert captured.out == "" and captured.err.startswith(f"error: {bad} ")
  assert message in captured.err and len(captured.err.strip().splitlines()) == 1
  assert not output.exists()


def test_output_in_a_missing_folder_is_refused_before_predicting(tiny_model_dir, tmp_path, capsys):
  good = str(tmp_path / "good.npy")
  np.save(good, np.zeros((28, 28)))
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict", f"--images={good}",
                        f"--output={tmp_path / 'missing' / 'preds.json'}") == 1
  captured = capsys.readouterr()
  assert captured.out == "" and "does not exist or is not writable" in captured.err
  assert not (tmp_path / "missing").exists()


def test_csv_output_holds_the_json_predictions(tiny_model_dir, test_images, tmp_path, capsys):
  npy = str(tmp_path / 'my "shirts".npy')  # Quotes in the name: the CSV escapes them.
  np.save(npy, np.stack([test_images[0], 1 - test_images[1]]))
  json_path, csv_path = str(tmp_path / "preds.json"), str(tmp_path / "preds.CSV")
  for output in (json_path, csv_path):
    assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict", f"--images={npy}",
                          f"--output={output}") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"predictions: {output}"
  with open(json_path) as f:
    predictions = json.load(f)["predictions"]
  with open(csv_path, newline="") as f:
    header, *rows = list(csv.reader(f))
  assert header == ["image", "inverted", "class_1", "probability_1", "class_2", "probability_2",
                    "class_3", "probability_3"]
  assert rows == [[p["image"], "true" if p["inverted"] else "false",
                   *(str(value) for t in p["top3"] for value in (t["class"], t["probability"]))]
                  for p in predictions]
  assert [row[:2] for row in rows] == [[f"{npy}[0]", "false"], [f"{npy}[1]", "true"]]
  assert sorted(os.listdir(tmp_path)) == ['my "shirts".npy', "preds.CSV", "preds.json"]


def test_output_of_another_extension_is_refused_before_predicting(tiny_model_dir, tmp_path,
                                                                   capsys):
  good = str(tmp_path / "good.npy")
  np.save(good, np.zeros((28, 28)))
  output = tmp_path / "preds.txt"
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict", f"--images={good}",
                        f"--output={output}") == 1
  captured = capsys.readouterr()
  assert captured.out == ""
  assert captured.err == f"error: --output={output}: write predictions to a .json or .csv file\n"
  assert os.listdir(tmp_path) == ["good.npy"]


def test_output_holds_the_predictions_of_test_images_too(fixture_data, tiny_model_dir,
                                                          test_images, tmp_path, capsys):
  json_path, csv_path = str(tmp_path / "preds.json"), str(tmp_path / "preds.csv")
  for output in (json_path, csv_path):
    assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=predict",
                          f"--data_dir={fixture_data}", "--predict_indices=0,7",
                          f"--output={output}") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        "test image 0", "test image 7", "predictions"]
  with open(json_path) as f:
    saved = json.load(f)
  assert saved["model_dir"] == tiny_model_dir
  estimator = build.make_estimator(tiny_model_dir, saved_params.load_params(tiny_model_dir),
                                    seed=1)
  expected = build.predict_probabilities(estimator, test_images[[0, 7]])
  for prediction, probabilities, line in zip(saved["predictions"], expected, lines[1:]):
    top = int(np.argmax(probabilities))
    assert prediction["top3"][0]["class"] == CLASS_NAMES[top] and not prediction["inverted"]
    np.testing.assert_allclose(prediction["top3"][0]["probability"], probabilities[top],
                               atol=1e-5)
    assert f": {CLASS_NAMES[top]} ({probabilities[top]:.3f})" in line
  with open(csv_path, newline="") as f:
    rows = list(csv.reader(f))[1:]
  assert [row[:3] for row in rows] == [[p["image"], "false", p["top3"][0]["class"]]
                                       for p in saved["predictions"]]


def test_a_name_with_a_comma_is_taken_quoted_and_unquoted_says_how(tiny_model_dir, tmp_path,
                                                                    capsys, monkeypatch):
  """absl's list flags split as a CSV line is: double quotes keep a comma in a name."""
  monkeypatch.chdir(tmp_path)
  np.save("a,b.npy", np.zeros((28, 28)))
  np.save("c.npy", np.zeros((28, 28)))
  common = [f"--model_dir={tiny_model_dir}", "--mode=predict"]
  assert run_in_process(*common, '--images="a,b.npy",c.npy') == 0
  assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()[1:]] == [
      "a,b.npy", "c.npy"]
  assert run_in_process(*common, "--images=c.npy,a,b.npy") == 1
  assert capsys.readouterr().err == (
      "error: a does not exist, but a,b.npy does: --images splits at commas; quote a name that "
      "holds one, as in CSV: --images='\"a,b.npy\"'\n")
