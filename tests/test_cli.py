"""Tests for segmentation.cli, the ``python -m segmentation`` command line.

Most tests call :func:`segmentation.cli.main` in-process with ``capsys``;
one runs the real ``python -m segmentation`` in a subprocess to check the
entry point. Input images are written to ``tmp_path`` as PNG.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from segmentation.cli import build_parser, main, process_image
from segmentation.io import encode_png
from segmentation.metrics import STATISTICS_COLUMNS
from segmentation.visualize import PALETTE

REPO_ROOT = Path(__file__).resolve().parents[1]

# Every option the command line documents; --help must list each of them.
OPTIONS = ("--out", "--k", "--seed", "--init", "--n-init", "--max-iter", "--tol", "--color", "--texture",
           "--position-weight", "--center-weight", "--max-side", "--alpha", "--clean", "--quiet")

DARK_BLUE = (20, 40, 120)  # luma 39.3: the darker colour, so segment 0
LIGHT_YELLOW = (240, 220, 80)  # luma 210.0: segment 1


@pytest.fixture
def two_colour_image():
    """A 30 x 40 light-yellow picture with a 10 x 16 dark-blue rectangle off centre."""
    image = np.empty((30, 40, 3), dtype=np.uint8)
    image[:] = LIGHT_YELLOW
    image[5:15, 8:24] = DARK_BLUE
    return image


@pytest.fixture
def write_png(tmp_path):
    """Write an array as a PNG file in tmp_path and return its path."""
    def _write(name: str, array: np.ndarray) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_png(array))
        return path
    return _write


@pytest.fixture
def photo(write_png):
    """A real photograph (scikit-image's coffee cup, 100 x 150) as a PNG file."""
    return write_png("coffee.png", data.coffee()[::4, ::4])


@pytest.fixture
def out_dir(tmp_path):
    """An output folder that does not exist yet (the CLI must create it)."""
    return tmp_path / "results" / "nested"


def read_png(path: Path) -> np.ndarray:
    """Decode a PNG file exactly, without any conversion."""
    with Image.open(path) as image:
        return np.asarray(image)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts keyed by the header."""
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_help_lists_every_option_with_defaults(capsys):
    """--help exits 0 and documents every option, its default, and an example."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    for option in OPTIONS:
        assert option in text, option
    assert "(default: 4)" in text  # --k
    assert "(default: 0.3)" in text  # --position-weight
    assert "(default: None = full size)" in text  # --max-side
    assert "examples:" in text and "python -m segmentation photo.jpg" in text
    # The parser really has exactly the documented options (plus -h/--help).
    parsed = {s for a in build_parser()._actions for s in a.option_strings} - {"-h", "--help"}
    assert parsed == set(OPTIONS)


def test_help_through_python_dash_m():
    """`python -m segmentation --help` runs the package's __main__ and prints the usage."""
    completed = subprocess.run([sys.executable, "-m", "segmentation", "--help"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: python -m segmentation")
    for option in OPTIONS:
        assert option in completed.stdout, option


def test_labels_png_splits_the_two_colours(two_colour_image, write_png, out_dir):
    """A two-colour image with k=2 gives labels {0, 1}: 0 exactly on the darker colour."""
    source = write_png("shapes.png", two_colour_image)
    assert main([str(source), "--k", "2", "--out", str(out_dir), "--quiet"]) == 0
    labels = read_png(out_dir / "shapes_labels.png")
    assert labels.shape == (30, 40) and labels.dtype == np.uint8
    is_blue = (two_colour_image == DARK_BLUE).all(axis=2)
    np.testing.assert_array_equal(labels, np.where(is_blue, 0, 1))


def test_overlay_png_blends_palette_over_photo(two_colour_image, write_png, out_dir):
    """The overlay has the photo's size and is (photo + palette colour) / 2 at alpha 0.5."""
    source = write_png("shapes.png", two_colour_image)
    assert main([str(source), "--k", "2", "--alpha", "0.5", "--out", str(out_dir), "--quiet"]) == 0
    painted = read_png(out_dir / "shapes_overlay.png")
    assert painted.shape == (30, 40, 3)
    blue_pixel, yellow_pixel = painted[10, 10], painted[0, 0]
    expected_blue = (np.array(DARK_BLUE) + PALETTE[0]) / 2  # segment 0 = darker colour
    expected_yellow = (np.array(LIGHT_YELLOW) + PALETTE[1]) / 2
    np.testing.assert_allclose(blue_pixel, expected_blue, atol=1)
    np.testing.assert_allclose(yellow_pixel, expected_yellow, atol=1)


def test_stats_csv_has_header_and_one_row_per_segment(two_colour_image, write_png, out_dir):
    """The CSV has the documented header and k rows with the hand-counted sizes and colours."""
    source = write_png("shapes.png", two_colour_image)
    assert main([str(source), "--k", "2", "--out", str(out_dir), "--quiet"]) == 0
    text = (out_dir / "shapes_stats.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(STATISTICS_COLUMNS)
    rows = read_csv(out_dir / "shapes_stats.csv")
    assert [row["segment"] for row in rows] == ["0", "1"]
    assert [int(row["pixels"]) for row in rows] == [10 * 16, 30 * 40 - 10 * 16]
    assert [row["mean_color"] for row in rows] == ["#142878", "#f0dc50"]
    # Centroid of the blue rectangle rows 5..14, columns 8..23.
    assert (float(rows[0]["centroid_row"]), float(rows[0]["centroid_col"])) == (9.5, 15.5)


def test_k_rows_for_a_photo(photo, out_dir):
    """A real photograph segmented with k=5 gives 5 CSV rows and labels 0..4."""
    assert main([str(photo), "--k", "5", "--out", str(out_dir), "--quiet"]) == 0
    assert len(read_csv(out_dir / "coffee_stats.csv")) == 5
    labels = read_png(out_dir / "coffee_labels.png")
    assert labels.shape == (100, 150)
    assert set(np.unique(labels)) == {0, 1, 2, 3, 4}


def test_progress_lines_for_several_images(two_colour_image, photo, write_png, out_dir, capsys):
    """With two images, stderr shows one [i/n] line per image with its segment count."""
    shapes = write_png("shapes.png", two_colour_image)
    assert main([str(shapes), str(photo), "--k", "2", "--out", str(out_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # progress goes to stderr, stdout stays clean for pipes
    lines = captured.err.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert progress[0].startswith(f"[1/2] {shapes} ... 2 segments, ")
    assert progress[1].startswith(f"[2/2] {photo} ... 2 segments, ")
    assert all(line.rstrip().endswith(" s") for line in progress)
    assert lines[-1].startswith("Done: 2 of 2 images segmented")


def test_quiet_prints_nothing_when_all_succeed(photo, out_dir, capsys):
    """--quiet suppresses the progress lines when nothing fails."""
    assert main([str(photo), "--out", str(out_dir), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_corrupt_file_is_reported_and_others_still_processed(photo, tmp_path, out_dir, capsys):
    """A damaged file is named on stderr, the next image is still written, exit status 1."""
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(encode_png(np.zeros((8, 8), dtype=np.uint8))[:30])  # truncated PNG
    assert main([str(corrupt), str(photo), "--out", str(out_dir)]) == 1
    err = capsys.readouterr().err
    error_lines = [line for line in err.splitlines() if "error" in line]
    assert len(error_lines) == 1 and str(corrupt) in error_lines[0]
    assert "1 failed" in err
    assert (out_dir / "coffee_labels.png").is_file()
    assert not (out_dir / "corrupt_labels.png").exists()


def test_missing_file_exits_1_naming_it(photo, tmp_path, out_dir, capsys):
    """A missing file is reported by name, even with --quiet, and gives exit status 1."""
    missing = tmp_path / "no_such_picture.jpg"
    assert main([str(photo), str(missing), "--out", str(out_dir), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no_such_picture.jpg" in err and "not found" in err
    assert (out_dir / "coffee_labels.png").is_file()


def test_k_larger_than_distinct_pixels_fails_that_image_only(write_png, photo, out_dir, capsys):
    """An image with fewer distinct pixels than k fails with a message about k; exit status 1."""
    flat = write_png("flat.png", np.full((6, 6, 3), 90, dtype=np.uint8))
    status = main([str(flat), str(photo), "--k", "3", "--position-weight", "0",
                   "--out", str(out_dir)])
    assert status == 1
    err = capsys.readouterr().err
    assert "flat.png ... error: k=3" in err
    assert (out_dir / "coffee_labels.png").is_file()


def test_no_features_is_a_usage_error(photo, out_dir, capsys):
    """--color none with position weight 0 selects no feature: exit 2 before writing anything."""
    status = main([str(photo), "--color", "none", "--position-weight", "0", "--out", str(out_dir)])
    assert status == 2
    err = capsys.readouterr().err
    assert "error: Select at least one feature" in err
    assert not out_dir.exists()


@pytest.mark.parametrize("option, value", [("--k", "0"), ("--k", "300"), ("--alpha", "1.5"),
                                           ("--max-side", "4"), ("--seed", "-1"), ("--k", "two")])
def test_out_of_range_option_is_a_usage_error(photo, option, value, capsys):
    """A value outside an option's range makes argparse exit 2 with a message naming the option."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(photo), option, value])
    assert exit_info.value.code == 2
    assert f"argument {option}: {option}=" in capsys.readouterr().err


def test_same_seed_gives_identical_label_bytes(photo, tmp_path):
    """Two runs with the same seed write byte-identical label PNGs."""
    for run in ("first", "second"):
        assert main([str(photo), "--k", "4", "--seed", "7", "--init", "random",
                     "--out", str(tmp_path / run), "--quiet"]) == 0
    first = (tmp_path / "first" / "coffee_labels.png").read_bytes()
    second = (tmp_path / "second" / "coffee_labels.png").read_bytes()
    assert first == second


def test_max_side_sets_the_working_resolution(photo, out_dir):
    """--max-side 60 shrinks the 100 x 150 photo to 40 x 60 before segmenting."""
    assert main([str(photo), "--max-side", "60", "--out", str(out_dir), "--quiet"]) == 0
    assert read_png(out_dir / "coffee_labels.png").shape == (40, 60)
    assert read_png(out_dir / "coffee_overlay.png").shape == (40, 60, 3)


def test_repeated_file_names_do_not_overwrite(two_colour_image, write_png, out_dir):
    """Two inputs named shapes.png in different folders give shapes_* and shapes-2_* outputs."""
    first = write_png("a/shapes.png", two_colour_image)
    second = write_png("b/shapes.png", two_colour_image[:, ::-1])
    assert main([str(first), str(second), "--k", "2", "--out", str(out_dir), "--quiet"]) == 0
    labels_a = read_png(out_dir / "shapes_labels.png")
    labels_b = read_png(out_dir / "shapes-2_labels.png")
    np.testing.assert_array_equal(labels_b, labels_a[:, ::-1])


def test_process_image_returns_summary(two_colour_image, write_png, tmp_path):
    """process_image reports the paths it wrote, the size, k and the iteration count."""
    source = write_png("shapes.png", two_colour_image)
    args = build_parser().parse_args([str(source), "--k", "2"])
    summary = process_image(source, tmp_path, args)
    assert summary.labels_path == tmp_path / "shapes_labels.png"
    assert summary.overlay_path.is_file() and summary.stats_path.is_file()
    assert (summary.shape, summary.k, summary.converged) == ((30, 40), 2, True)
    assert summary.n_iter >= 1
    assert summary.describe().startswith("2 segments, ")


# --------------------------------------------------------------------------- #
# Packaging: pyproject.toml, the console command, python -m from anywhere
# --------------------------------------------------------------------------- #
def read_pyproject() -> dict:
    """pyproject.toml of the repository, parsed."""
    import tomllib

    with open(REPO_ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def test_pyproject_metadata_names_the_package_and_its_runtime_needs():
    # The distribution installs the segmentation package with its runtime
    # dependencies only (no Streamlit: the app is not part of the package).
    project = read_pyproject()["project"]
    assert project["name"] == "kmeans-segment"
    assert project["requires-python"] == ">=3.11"
    needs = {entry.split(">")[0].split("=")[0].strip().lower() for entry in project["dependencies"]}
    # threadpoolctl: kmeans holds BLAS to one thread while it computes
    assert needs == {"numpy", "scipy", "scikit-image", "pillow", "threadpoolctl"}
    assert read_pyproject()["tool"]["setuptools"]["packages"] == ["segmentation"]


def test_console_command_resolves_to_the_cli():
    # kmeans-segment = "module:function" names a real callable that runs the CLI.
    import importlib

    from segmentation.cli import COMMAND, console_main

    scripts = read_pyproject()["project"]["scripts"]
    assert list(scripts) == [COMMAND]
    module_name, _, function_name = scripts[COMMAND].partition(":")
    target = getattr(importlib.import_module(module_name), function_name)
    assert target is console_main and callable(target)


def test_console_command_names_itself_in_help(capsys, monkeypatch):
    # Run as kmeans-segment, the usage line and the examples say kmeans-segment.
    from segmentation.cli import console_main

    monkeypatch.setattr(sys, "argv", ["kmeans-segment", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        console_main()
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: kmeans-segment")
    assert "kmeans-segment photo.jpg --k 4" in text


def test_python_dash_m_works_from_any_folder(tmp_path):
    # With the package installed (README: pip install -r requirements.txt installs
    # it), `python -m segmentation` runs outside the repository too.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, "-m", "segmentation", "--help"], cwd=tmp_path,
                               env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: python -m segmentation")


def test_installed_console_command_runs_from_any_folder(two_colour_image, tmp_path):
    # The README's install puts kmeans-segment beside this Python; it segments
    # an image in an unrelated folder.
    command = Path(sys.executable).parent / "kmeans-segment"
    assert command.is_file(), "kmeans-segment missing: pip install -r requirements.txt"
    (tmp_path / "shapes.png").write_bytes(encode_png(two_colour_image))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run([str(command), "shapes.png", "--k", "2", "--quiet"], cwd=tmp_path,
                               env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "shapes_labels.png", "shapes_overlay.png", "shapes_stats.csv"]


# --------------------------------------------------------------------------- #
# --clean
# --------------------------------------------------------------------------- #
def test_clean_flag_removes_specks_before_writing(tmp_path):
    # A white speck on the black half is its own segment without --clean and joins
    # the black segment with it; the labels PNG and the statistics say so.
    from segmentation.io import load_image_file

    image = np.zeros((32, 32, 3), dtype=np.uint8)
    image[:, 16:] = 255
    image[5, 5] = 255
    source = tmp_path / "speck.png"
    source.write_bytes(encode_png(image))
    counts = {}
    for flag in ([], ["--clean"]):
        out = tmp_path / ("clean" if flag else "plain")
        assert main([str(source), "--k", "2", "--position-weight", "0", "--quiet",
                     "--out", str(out), *flag]) == 0
        labels = load_image_file(out / "speck_labels.png").image[..., 0]
        counts[bool(flag)] = (int(labels[5, 5] == labels[0, 0]),
                              (out / "speck_stats.csv").read_text().splitlines()[1].split(",")[1])
    assert counts[False] == (0, str(16 * 32 - 1))
    assert counts[True] == (1, str(16 * 32))


def test_clean_flag_parses():
    # --clean is off by default.
    assert build_parser().parse_args(["a.png"]).clean is False
    assert build_parser().parse_args(["a.png", "--clean"]).clean is True
