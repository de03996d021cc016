"""Tests for segmentation.export, the result files of the command line and the app.

Each file is decoded back and compared with the run it came from: the labels
PNG with ``result.labels``, the overlay with :func:`segmentation.visualize.overlay`,
the CSV rows with ``result.statistics``. That the command line writes exactly
these bytes is tested here; that the app's downloads are these bytes too is
tested in ``test_app.py``.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from PIL import Image
from skimage import data

from segmentation import export, segment
from segmentation.cli import main
from segmentation.export import DEFAULT_ALPHA, export_files
from segmentation.io import encode_png
from segmentation.metrics import STATISTICS_COLUMNS
from segmentation.visualize import overlay, segment_colors


@pytest.fixture
def photo() -> np.ndarray:
    """A real photograph: scikit-image's coffee cup at 100 x 150."""
    return np.ascontiguousarray(data.coffee()[::4, ::4])


@pytest.fixture
def result(photo):
    """The photo in 3 segments, default features."""
    return segment(photo, k=3, seed=0)


def decode_png(payload: bytes) -> np.ndarray:
    """Pixels of a PNG, exactly as stored."""
    with Image.open(io.BytesIO(payload)) as picture:
        return np.asarray(picture)


def test_names_media_types_and_order(photo, result):
    # Labels, overlay, statistics: <stem>_labels.png, <stem>_overlay.png, <stem>_stats.csv.
    files = export_files(photo, result, stem="cup")
    assert [(f.name, f.mime) for f in files] == [
        ("cup_labels.png", "image/png"), ("cup_overlay.png", "image/png"),
        ("cup_stats.csv", "text/csv")]


def test_labels_png_decodes_to_the_labels(photo, result):
    # 8-bit grayscale, pixel value = segment index, exactly result.labels.
    labels = decode_png(export_files(photo, result, stem="cup")[0].build())
    assert labels.dtype == np.uint8 and labels.shape == result.shape
    np.testing.assert_array_equal(labels, result.labels)


def test_overlay_png_is_the_palette_blended_over_the_photo(photo, result):
    # Same pixels as overlay() with the full k-colour table, at the requested opacity.
    painted = decode_png(export_files(photo, result, stem="cup", alpha=0.7)[1].build())
    expected = overlay(photo, result.labels, 0.7, colors=segment_colors(result.k))
    np.testing.assert_array_equal(painted, expected)


def test_overlay_alpha_zero_is_the_photo(photo, result):
    # Opacity 0 leaves the photo untouched: the blend really uses alpha.
    painted = decode_png(export_files(photo, result, stem="cup", alpha=0.0)[1].build())
    np.testing.assert_array_equal(painted, photo)


def test_csv_rows_are_the_statistics(photo, result):
    # One row per segment, in order, with the statistics' own numbers.
    text = export_files(photo, result, stem="cup")[2].build().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(STATISTICS_COLUMNS)
    assert len(rows) == result.k
    for row, stats in zip(rows, result.statistics):
        assert int(row["segment"]) == stats.label
        assert int(row["pixels"]) == stats.pixel_count
        assert row["mean_color"] == stats.hex_color
        assert math.isclose(float(row["percent"]), stats.percentage, abs_tol=0.05)
    assert sum(int(row["pixels"]) for row in rows) == photo.shape[0] * photo.shape[1]


def test_nothing_is_built_until_asked(photo, result, monkeypatch):
    # export_files only describes the files: a download button that is never
    # clicked costs no encoding.
    calls = []
    monkeypatch.setattr(export, "encode_png", lambda array: calls.append(array) or b"png")
    files = export_files(photo, result, stem="cup")
    assert calls == []
    assert files[0].build() == b"png" and len(calls) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stem": ""}, "stem='' must be a non-empty"),
    ({"stem": "cup", "alpha": 1.5}, "alpha=1.5 must be between 0 and 1"),
])
def test_invalid_arguments_name_the_parameter(photo, result, kwargs, message):
    # Checked when the files are described, not later at a click.
    with pytest.raises(ValueError, match=message):
        export_files(photo, result, **kwargs)


def test_cli_writes_exactly_these_bytes(photo, result, tmp_path):
    # python -m segmentation cup.png writes the same three files, byte for byte.
    (tmp_path / "cup.png").write_bytes(encode_png(photo))
    out = tmp_path / "out"
    assert main([str(tmp_path / "cup.png"), "--k", "3", "--out", str(out), "--quiet"]) == 0
    for file in export_files(photo, result, stem="cup", alpha=DEFAULT_ALPHA):
        assert (out / file.name).read_bytes() == file.build(), file.name
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f.name for f in export_files(photo, result, stem="cup"))
