"""Tests for segmentation.io: safe loading of hostile uploads and PNG encoding.

Every input is generated in memory with Pillow; nothing is read from or written
to disk except where ``load_image_file`` itself is under test.
"""

import builtins
import io
import os
import struct
import tempfile
import threading
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from segmentation.io import (
    BACKGROUND_RGB,
    MAX_PIXELS,
    ImageInfo,
    ImageLoadError,
    LoadedImage,
    encode_png,
    load_image,
    load_image_file,
)

# Colours of the four quadrants of the test picture, far apart so that lossy
# codecs cannot blur one into another.
QUADRANT_COLOURS = ((200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40))


@pytest.fixture
def save():
    """Encode a Pillow image to bytes in memory."""
    def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **kwargs)
        return buffer.getvalue()
    return _save


@pytest.fixture
def quadrants() -> np.ndarray:
    """A (40, 60, 3) uint8 picture made of four flat colour quadrants."""
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    image[:20, :30], image[:20, 30:] = QUADRANT_COLOURS[0], QUADRANT_COLOURS[1]
    image[20:, :30], image[20:, 30:] = QUADRANT_COLOURS[2], QUADRANT_COLOURS[3]
    return image


@pytest.fixture
def png_header():
    """Build a PNG that only *claims* a size: valid IHDR (with CRC), empty IDAT."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    def _header(width: int, height: int) -> bytes:
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return _header


def _quadrant_centres(image: np.ndarray) -> np.ndarray:
    """The colour at the centre of each quadrant of a (40, 60, 3) image, as int."""
    return image[[10, 10, 30, 30], [15, 45, 15, 45]].astype(int)


# --- every allowed format ---------------------------------------------------

@pytest.mark.parametrize("fmt, tolerance", [
    ("PNG", 0), ("BMP", 0), ("TIFF", 0), ("GIF", 0), ("JPEG", 12), ("WEBP", 12)])
def test_allowed_formats_round_trip(save, quadrants, fmt, tolerance):
    """Each allowlisted format decodes to (H, W, 3) uint8 with the saved colours."""
    loaded = load_image(save(Image.fromarray(quadrants), fmt))
    assert isinstance(loaded, LoadedImage) and isinstance(loaded.info, ImageInfo)
    assert loaded.image.shape == (40, 60, 3) and loaded.image.dtype == np.uint8
    assert loaded.image.flags.c_contiguous and not loaded.image.flags.writeable
    centres = _quadrant_centres(loaded.image)
    np.testing.assert_allclose(centres, np.array(QUADRANT_COLOURS), atol=tolerance)
    assert loaded.info.format == fmt
    assert loaded.info.original_size == loaded.info.size == (40, 60)
    assert loaded.info.scale == 1.0 and not loaded.info.downscaled
    assert loaded.info.n_frames == 1 and not loaded.info.had_alpha


def test_accepts_bytearray_memoryview_and_file_like(save, quadrants):
    """bytes, bytearray, memoryview and a BytesIO (like Streamlit's upload) agree."""
    data = save(Image.fromarray(quadrants), "PNG")
    for variant in (bytearray(data), memoryview(data), io.BytesIO(data)):
        np.testing.assert_array_equal(load_image(variant).image, quadrants)


def test_file_like_already_read_still_loads(save, quadrants):
    """A BytesIO whose cursor is at the end (read once by the app) is not 'empty'."""
    upload = io.BytesIO(save(Image.fromarray(quadrants), "PNG"))
    upload.read()
    np.testing.assert_array_equal(load_image(upload).image, quadrants)


def test_rejects_non_bytes_data_as_programmer_error():
    """A path string is a programmer mistake: TypeError pointing to load_image_file."""
    with pytest.raises(TypeError, match="load_image_file"):
        load_image("picture.png")


# --- odd pixel modes ----------------------------------------------------------

def test_grayscale_becomes_three_equal_channels(save):
    """Mode L: every channel equals the gray value."""
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    loaded = load_image(save(Image.fromarray(gray), "PNG"))
    assert loaded.info.mode == "L"
    np.testing.assert_array_equal(loaded.image, np.repeat(gray[:, :, None], 3, axis=2))


def test_rgba_composites_onto_documented_background(save):
    """alpha=0 gives BACKGROUND_RGB, alpha=255 the colour, alpha=128 about halfway."""
    rgba = np.zeros((2, 3, 4), dtype=np.uint8)
    rgba[..., :3] = (10, 120, 250)
    rgba[..., 3] = [[0, 255, 128], [0, 255, 128]]
    loaded = load_image(save(Image.fromarray(rgba), "PNG"))
    assert loaded.info.had_alpha and loaded.info.mode == "RGBA"
    np.testing.assert_array_equal(loaded.image[:, 0], [BACKGROUND_RGB] * 2)
    np.testing.assert_array_equal(loaded.image[:, 1], [(10, 120, 250)] * 2)
    halfway = (np.array(BACKGROUND_RGB) + np.array((10, 120, 250))) / 2
    np.testing.assert_allclose(loaded.image[:, 2], [halfway] * 2, atol=2)


def test_gray_alpha_composites_onto_background(save):
    """Mode LA: transparent pixels take the background, opaque keep their gray."""
    la = Image.fromarray(np.array([[[0, 0], [90, 255]]], dtype=np.uint8), mode="LA")
    loaded = load_image(save(la, "PNG"))
    assert loaded.info.mode == "LA" and loaded.info.had_alpha
    np.testing.assert_array_equal(loaded.image[0], [BACKGROUND_RGB, (90, 90, 90)])


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency(save, fmt):
    """Mode P with a transparent index: that index becomes the background."""
    palette_image = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=np.uint8), mode="P")
    palette_image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    loaded = load_image(save(palette_image, fmt, transparency=0))
    assert loaded.info.mode == "P" and loaded.info.had_alpha
    np.testing.assert_array_equal(loaded.image[0], [BACKGROUND_RGB, (255, 0, 0)])
    np.testing.assert_array_equal(loaded.image[1], [(255, 0, 0), BACKGROUND_RGB])


@pytest.mark.parametrize("fmt, tolerance", [("TIFF", 0), ("JPEG", 6)])
def test_cmyk_becomes_rgb(save, fmt, tolerance):
    """CMYK: no ink is white, full cyan is (0, 255, 255), full black is black."""
    cmyk = np.zeros((8, 24, 4), dtype=np.uint8)
    cmyk[:, 8:16, 0] = 255  # cyan
    cmyk[:, 16:, 3] = 255  # black
    loaded = load_image(save(Image.fromarray(cmyk, mode="CMYK"), fmt))
    assert loaded.info.mode == "CMYK"
    np.testing.assert_allclose(loaded.image[4, [4, 12, 20]].astype(int),
                               [(255, 255, 255), (0, 255, 255), (0, 0, 0)], atol=tolerance)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_is_stretched_not_clipped(save, fmt):
    """I;16 values 1000..3000 span 0..255 linearly instead of saturating at 255."""
    values = np.linspace(1000, 3000, 9 * 11).reshape(9, 11).astype(np.uint16)
    loaded = load_image(save(Image.fromarray(values), fmt))
    assert loaded.info.mode.startswith("I;16")
    expected = np.rint((values - 1000.0) * 255 / 2000).astype(np.uint8)
    np.testing.assert_array_equal(loaded.image[..., 0], expected)
    assert loaded.image.min() == 0 and loaded.image.max() == 255
    assert np.count_nonzero(loaded.image[..., 0] == 255) == 1  # only the 3000 pixel


def test_constant_16_bit_image_is_black(save):
    """With no contrast to stretch, a constant high-bit-depth image becomes 0."""
    values = np.full((4, 5), 2000, dtype=np.uint16)
    assert load_image(save(Image.fromarray(values), "PNG")).image.max() == 0


def test_float_image_with_nan_is_stretched_over_finite_values(save):
    """Mode F: finite values span 0..255; NaN takes the minimum (0)."""
    values = np.array([[-1.0, 0.0, 1.0, np.nan]], dtype=np.float32)
    loaded = load_image(save(Image.fromarray(values), "TIFF"))
    assert loaded.info.mode == "F"
    np.testing.assert_array_equal(loaded.image[0, :, 0], [0, 128, 255, 0])


def test_one_bit_image_is_black_and_white(save):
    """Mode 1: bits become 0 and 255."""
    bits = Image.fromarray(np.array([[0, 255, 0]], dtype=np.uint8)).convert("1")
    loaded = load_image(save(bits, "BMP"))
    assert loaded.info.mode == "1"
    np.testing.assert_array_equal(loaded.image[0, :, 0], [0, 255, 0])


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animation_gives_first_frame_and_counts_frames(save, fmt):
    """Animated GIF/APNG/WebP: the first frame's pixels, n_frames recorded."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (10, 8), colour) for colour in colours]
    data = save(frames[0], fmt, save_all=True, append_images=frames[1:],
                **({"lossless": True} if fmt == "WEBP" else {}))
    loaded = load_image(data)
    assert loaded.info.n_frames == 3 and loaded.image.shape == (8, 10, 3)
    np.testing.assert_array_equal(loaded.image[4, 5], (255, 0, 0))


# --- EXIF orientation --------------------------------------------------------

@pytest.fixture
def oriented(save):
    """Save a (20, 40) image with a red top-left marker and an EXIF Orientation tag."""
    def _oriented(fmt: str, orientation: int) -> bytes:
        pixels = np.full((20, 40, 3), 255, dtype=np.uint8)
        pixels[:5, :5] = (255, 0, 0)
        exif = Image.Exif()
        exif[0x0112] = orientation
        return save(Image.fromarray(pixels), fmt, exif=exif)
    return _oriented


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientation_6_rotates_a_quarter_turn(oriented, fmt):
    """Orientation 6 (rotate 90 degrees clockwise): (20, 40) becomes (40, 20), marker top-right."""
    loaded = load_image(oriented(fmt, 6))
    assert loaded.image.shape == (40, 20, 3)
    assert loaded.info.exif_transposed and loaded.info.original_size == (40, 20)
    np.testing.assert_allclose(loaded.image[1, 18].astype(int), (255, 0, 0), atol=30)
    np.testing.assert_allclose(loaded.image[1, 1].astype(int), (255, 255, 255), atol=30)


def test_exif_orientation_3_turns_upside_down(oriented):
    """Orientation 3 (180 degrees): same shape, marker moves to the bottom-right."""
    loaded = load_image(oriented("PNG", 3))
    assert loaded.image.shape == (20, 40, 3) and loaded.info.exif_transposed
    np.testing.assert_array_equal(loaded.image[-1, -1], (255, 0, 0))
    np.testing.assert_array_equal(loaded.image[0, 0], (255, 255, 255))


def test_no_orientation_tag_means_not_transposed(oriented):
    """Orientation 1 (normal) leaves the pixels alone."""
    loaded = load_image(oriented("PNG", 1))
    assert not loaded.info.exif_transposed
    np.testing.assert_array_equal(loaded.image[0, 0], (255, 0, 0))


# --- downscaling -------------------------------------------------------------

def test_downscale_keeps_aspect_and_records_scale(save):
    """A (200, 300) image with max_side=100 becomes (67, 100), scale 1/3."""
    loaded = load_image(save(Image.new("RGB", (300, 200), (10, 20, 30)), "PNG"), max_side=100)
    assert loaded.image.shape == (67, 100, 3)
    assert loaded.info.size == (67, 100) and loaded.info.original_size == (200, 300)
    assert loaded.info.scale == pytest.approx(1 / 3) and loaded.info.downscaled
    np.testing.assert_array_equal(loaded.image[30, 50], (10, 20, 30))


def test_downscale_jpeg_uses_draft_and_keeps_colours(save, quadrants):
    """A big JPEG (decoded at reduced size first) still lands at exactly max_side."""
    big = Image.fromarray(quadrants).resize((600, 400), Image.Resampling.NEAREST)
    loaded = load_image(save(big, "JPEG", quality=95), max_side=60)
    assert loaded.image.shape == (40, 60, 3) and loaded.info.original_size == (400, 600)
    np.testing.assert_allclose(_quadrant_centres(loaded.image), np.array(QUADRANT_COLOURS), atol=12)


def test_downscale_after_exif_rotation(oriented):
    """max_side applies to the oriented image: (20, 40) rotated is (40, 20), shrunk to (16, 8)."""
    loaded = load_image(oriented("JPEG", 6), max_side=16)
    assert loaded.image.shape == (16, 8, 3) and loaded.info.original_size == (40, 20)
    assert loaded.info.scale == pytest.approx(0.4)


def test_thin_image_keeps_at_least_one_pixel(save):
    """A 1 x 1000 strip shrunk to max_side=10 is 1 x 10, never 0 wide."""
    loaded = load_image(save(Image.new("L", (1000, 1), 7), "PNG"), max_side=10)
    assert loaded.image.shape == (1, 10, 3)


def test_small_image_is_not_upscaled(save):
    """max_side larger than the image changes nothing; scale stays 1.0."""
    loaded = load_image(save(Image.new("RGB", (30, 20)), "PNG"), max_side=64)
    assert loaded.image.shape == (20, 30, 3) and loaded.info.scale == 1.0
    assert not loaded.info.downscaled


@pytest.mark.parametrize("kwargs, error, words", [
    ({"max_side": 7}, ValueError, "max_side=7"),
    ({"max_side": 8.5}, TypeError, "max_side"),
    ({"max_pixels": 0}, ValueError, "max_pixels=0"),
])
def test_bad_parameters_are_programmer_errors(save, kwargs, error, words):
    """Invalid max_side/max_pixels raise plain ValueError/TypeError naming the parameter."""
    with pytest.raises(error, match=words) as caught:
        load_image(save(Image.new("RGB", (4, 4)), "PNG"), **kwargs)
    assert not isinstance(caught.value, ImageLoadError)


# --- hostile input -------------------------------------------------------------

def test_header_bomb_rejected_before_decoding(png_header, monkeypatch):
    """8000 x 8000 (64 MP, under Pillow's own limit) is refused from the header alone."""
    def never_decode(self):
        raise AssertionError("pixels must not be decoded")
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", never_decode)
    with pytest.raises(ImageLoadError, match="too large: 8000 x 8000 pixels") as caught:
        load_image(png_header(8000, 8000))
    assert f"{MAX_PIXELS / 1e6:g} megapixel" in str(caught.value)


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_pillow_sized_bombs_rejected_without_any_warning(png_header, side, monkeypatch):
    """100 MP (Pillow would warn) and 10 GP (Pillow would raise): our check, no warning."""
    def never_decode(self):
        raise AssertionError("pixels must not be decoded")
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", never_decode)
    limit_before, filters_before = Image.MAX_IMAGE_PIXELS, list(warnings.filters)
    with warnings.catch_warnings(record=True) as emitted:
        warnings.simplefilter("always")
        with pytest.raises(ImageLoadError, match=f"too large: {side} x {side} pixels"):
            load_image(png_header(side, side))
    assert not emitted  # not caught and hidden: never emitted at all
    assert Image.MAX_IMAGE_PIXELS == limit_before and warnings.filters == filters_before


def test_pillow_limit_caps_a_larger_max_pixels(png_header):
    """max_pixels above Pillow's MAX_IMAGE_PIXELS (~89.5 MP): Pillow's limit wins, quietly."""
    with warnings.catch_warnings(record=True) as emitted:
        warnings.simplefilter("always")
        with pytest.raises(ImageLoadError, match="10000 x 10000 pixels") as caught:
            load_image(png_header(10_000, 10_000), max_pixels=10**12)
    assert f"{Image.MAX_IMAGE_PIXELS / 1e6:.3g} megapixel" in str(caught.value)
    assert not emitted


def test_max_pixels_applies_when_pillow_limit_is_off(png_header, monkeypatch):
    """With Image.MAX_IMAGE_PIXELS = None (Pillow's check off), max_pixels still holds."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(ImageLoadError, match="over the 50 megapixel limit"):
        load_image(png_header(8000, 8000))


def test_metadata_warnings_as_errors_are_still_image_load_errors(save):
    """Under ``-W error`` Pillow's notes on broken metadata become ImageLoadError, not UserWarning."""
    # A TIFF whose ImageDescription claims 4000 bytes at an offset past the end:
    # Pillow warns "Tag data larger than file" while reading the header.
    data = bytearray(save(Image.new("RGB", (4, 4)), "TIFF", description="x" * 40))
    at = data.index(struct.pack("<HHI", 270, 2, 41))  # tag 270, ASCII, count 41
    data[at + 4:at + 8] = struct.pack("<I", 4000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageLoadError, match="damaged") as caught:
            load_image(bytes(data))
    assert isinstance(caught.value.__cause__, UserWarning)


def test_wide_float_range_stretches_without_overflow(save):
    """Mode F from -3e38 to 3e38: max - min overflows float32, not float64: 0, 128, 255."""
    values = np.array([[-3e38, 0.0, 3e38]], dtype=np.float32)
    loaded = load_image(save(Image.fromarray(values), "TIFF"))
    np.testing.assert_array_equal(loaded.image[0, :, 0], [0, 128, 255])


def test_full_int32_range_stretches_exactly(save):
    """Mode I over the whole int32 range: the ends map to 0 and 255 exactly."""
    values = np.array([[-2**31, 0, 2**31 - 1]], dtype=np.int32)
    loaded = load_image(save(Image.fromarray(values), "TIFF"))
    assert loaded.info.mode == "I"
    np.testing.assert_array_equal(loaded.image[0, :, 0], [0, 128, 255])


def test_max_pixels_parameter_is_enforced(save):
    """A real 100 x 100 image exceeds max_pixels=5000 and says so in plain words."""
    with pytest.raises(ImageLoadError, match="100 x 100 pixels is over"):
        load_image(save(Image.new("RGB", (100, 100)), "PNG"), max_pixels=5000)


@pytest.mark.parametrize("empty", [b"", bytearray(), memoryview(b""), io.BytesIO()])
def test_empty_data(empty):
    """Zero bytes: 'The file is empty.'"""
    with pytest.raises(ImageLoadError, match="The file is empty"):
        load_image(empty)


@pytest.fixture(params=["random", "text", "pdf", "svg", "zip", "ico", "ppm"])
def not_allowed(request, save):
    """Bytes that are not an image at all, or a valid image in a refused format."""
    tiny = Image.new("RGB", (16, 16), (1, 2, 3))
    return {
        "random": lambda: np.random.default_rng(0).bytes(2000),
        "text": lambda: b"Hello, this is a plain text file.\n" * 20,
        "pdf": lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        "zip": lambda: b"PK\x03\x04" + bytes(100),
        "ico": lambda: save(tiny, "ICO"),
        "ppm": lambda: save(tiny, "PPM"),
    }[request.param]()


def test_non_images_and_refused_formats(not_allowed):
    """Anything outside the allowlist gets the plain 'not an image we can read' message."""
    with pytest.raises(ImageLoadError, match="not an image we can read") as caught:
        load_image(not_allowed)
    assert "PNG, JPEG, WebP, GIF, BMP or TIFF" in str(caught.value)
    assert caught.value.__cause__ is not None  # the Pillow error is chained, not lost


def test_format_without_a_parser_is_not_an_image(save, quadrants, monkeypatch):
    """A Pillow built without WebP support: a WebP upload is 'not an image we can read'."""
    data = save(Image.fromarray(quadrants), "WEBP")
    Image.init()
    monkeypatch.delitem(Image.OPEN, "WEBP")
    with pytest.raises(ImageLoadError, match="not an image we can read"):
        load_image(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "TIFF"])
def test_truncated_files_are_damaged(save, fmt):
    """A file cut in half is 'damaged or truncated', never a half-decoded picture."""
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = save(Image.fromarray(noise), fmt)
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(data[: len(data) // 2])


def test_corrupted_png_data_is_damaged(save, quadrants):
    """Flipping bytes inside the compressed pixel data is reported as damage."""
    data = bytearray(save(Image.fromarray(quadrants), "PNG"))
    start = data.index(b"IDAT") + 8
    data[start:start + 20] = bytes(20)
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(bytes(data))


def test_nothing_touches_the_disk(save, quadrants, monkeypatch):
    """load_image and encode_png work without opening any file or temp file."""
    inputs = [save(Image.fromarray(quadrants), fmt) for fmt in ("PNG", "JPEG", "TIFF", "WEBP")]
    for data in inputs:  # warm up Pillow's lazy plugin imports first
        load_image(data)

    def no_disk(*args, **kwargs):
        raise AssertionError(f"disk access: {args!r}")
    for module, name in [(builtins, "open"), (io, "open"), (os, "open"),
                         (tempfile, "mkstemp"), (tempfile, "NamedTemporaryFile"),
                         (tempfile, "TemporaryFile"), (tempfile, "mkdtemp")]:
        monkeypatch.setattr(module, name, no_disk)
    for data in inputs:
        assert load_image(data, max_side=20).image.shape == (13, 20, 3)
    assert encode_png(quadrants).startswith(b"\x89PNG")


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@pytest.fixture
def forbid_disk_writes(monkeypatch, tmp_path):
    """Make every way of writing a file fail, and point the temp dir at an empty folder.

    Reading stays allowed (Pillow may import a plugin lazily); opening for
    writing, creating, or any ``tempfile`` helper raises AssertionError. The
    temp dir is a private empty folder so that files other processes create in
    the shared /tmp cannot make the before/after listing differ. Yields that folder.
    """
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))

    def guarded_open(real):
        def _open(file, mode="r", *args, **kwargs):
            if any(flag in mode for flag in "wax+"):
                raise AssertionError(f"open({file!r}, {mode!r}) writes to disk")
            return real(file, mode, *args, **kwargs)
        return _open

    real_os_open = os.open

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & _WRITE_FLAGS:
            raise AssertionError(f"os.open({path!r}, {flags:#o}) writes to disk")
        return real_os_open(path, flags, *args, **kwargs)

    def no_temp_files(*args, **kwargs):
        raise AssertionError(f"temporary file requested: {args!r} {kwargs!r}")

    monkeypatch.setattr(builtins, "open", guarded_open(builtins.open))
    monkeypatch.setattr(io, "open", guarded_open(io.open))
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile",
                 "SpooledTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, no_temp_files)
    yield private_tmp


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"])
def test_uploaded_bytes_never_written_to_disk(save, quadrants, forbid_disk_writes, fmt):
    """An upload (a BytesIO, like Streamlit's), good or truncated, decodes with no file written."""
    data = save(Image.fromarray(quadrants), fmt)  # encoded before the guard matters
    listing_before = sorted(os.listdir(tempfile.gettempdir()))
    assert load_image(io.BytesIO(data), max_side=30).image.shape == (20, 30, 3)
    with pytest.raises(ImageLoadError):
        load_image(io.BytesIO(data[: len(data) // 3]))
    assert sorted(os.listdir(tempfile.gettempdir())) == listing_before == []


# --- threads (Streamlit runs each session in a thread) ---------------------------

@pytest.fixture
def mixed_uploads(save, quadrants, png_header):
    """Uploads of every kind: each allowed format, a bomb, a truncated file, garbage."""
    noise = np.random.default_rng(3).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    good = [save(Image.fromarray(picture), fmt) for picture in (quadrants, noise)
            for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")]
    bad = [png_header(10_000, 10_000), good[0][:100], b"not an image" * 10]
    return good + bad


def _outcome(data: bytes, max_side: int | None):
    """What load_image gives for ``data``: the pixels, or the error message."""
    try:
        loaded = load_image(data, max_side=max_side)
    except ImageLoadError as err:
        return "error", str(err)
    return "image", loaded.image.tobytes(), loaded.image.shape, loaded.info


def test_concurrent_loads_match_serial_loads_and_never_swap_warning_filters(mixed_uploads):
    """Four threads load 120 uploads: same results as one by one, warnings.filters untouched.

    A watcher thread samples ``warnings.filters`` all along: a loader using
    ``warnings.catch_warnings`` would replace the list (even briefly), which
    the watcher would see; a correct loader never does.
    """
    jobs = [(data, max_side) for data in mixed_uploads for max_side in (None, 16)] * 4
    expected = [_outcome(data, max_side) for data, max_side in jobs]
    filters_before, snapshot = warnings.filters, list(warnings.filters)
    changes, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if warnings.filters is not filters_before or warnings.filters != snapshot:
                changes.append(list(warnings.filters))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda job: _outcome(*job), jobs))
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert results == expected
    assert {result[0] for result in results} == {"image", "error"}  # both paths exercised
    assert not changes
    assert warnings.filters is filters_before and warnings.filters == snapshot


# --- encode_png ---------------------------------------------------------------

def _decode_png(data: bytes) -> Image.Image:
    """Decode PNG bytes with Pillow (the oracle) and load them."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("shape, mode", [((5, 7), "L"), ((5, 7, 3), "RGB"), ((5, 7, 4), "RGBA")])
def test_encode_png_round_trips_exactly(shape, mode):
    """L, RGB and RGBA arrays come back from Pillow bit for bit."""
    array = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    decoded = _decode_png(encode_png(array))
    assert decoded.format == "PNG" and decoded.mode == mode
    np.testing.assert_array_equal(np.asarray(decoded), array)


def test_encode_png_label_mask_of_wider_integer_dtype():
    """An int64 label mask with values 0..5 is stored as mode L with the same values."""
    labels = np.arange(30, dtype=np.int64).reshape(5, 6) % 6
    decoded = _decode_png(encode_png(labels, compress_level=9, optimize=True))
    assert decoded.mode == "L"
    np.testing.assert_array_equal(np.asarray(decoded), labels)


def test_encode_png_accepts_non_contiguous_views():
    """A strided view (e.g. every other column) is encoded as its visible values."""
    array = np.arange(60, dtype=np.uint8).reshape(6, 10)[:, ::2]
    np.testing.assert_array_equal(np.asarray(_decode_png(encode_png(array))), array)


def test_encode_then_load_gives_the_same_rgb(quadrants):
    """encode_png and load_image are inverse for RGB uint8."""
    np.testing.assert_array_equal(load_image(encode_png(quadrants)).image, quadrants)


@pytest.mark.parametrize("array, words", [
    (np.zeros((4, 4), dtype=np.float32), "dtype float32"),
    (np.zeros((4, 4, 2), dtype=np.uint8), r"shape \(4, 4, 2\)"),
    (np.zeros((4,), dtype=np.uint8), r"shape \(4,\)"),
    (np.zeros((0, 4), dtype=np.uint8), "at least one pixel"),
    (np.full((2, 2), 256, dtype=np.uint16), r"range \[256, 256\]"),
    (np.full((2, 2), -1, dtype=np.int32), r"range \[-1, -1\]"),
    (np.zeros((2, 2), dtype=bool), "dtype bool"),
])
def test_encode_png_rejects_bad_arrays(array, words):
    """Unsupported shapes, dtypes and value ranges raise ValueError saying which."""
    with pytest.raises(ValueError, match=words):
        encode_png(array)


def test_encode_png_rejects_bad_compress_level():
    """compress_level outside 0..9 names the parameter."""
    with pytest.raises(ValueError, match="compress_level=10"):
        encode_png(np.zeros((2, 2), dtype=np.uint8), compress_level=10)


# --- load_image_file ------------------------------------------------------------

def test_load_image_file_missing_path(tmp_path):
    """A missing file is an ImageLoadError naming the file."""
    with pytest.raises(ImageLoadError, match="'holiday.png' was not found"):
        load_image_file(tmp_path / "holiday.png")


def test_load_image_file_directory(tmp_path):
    """A directory is not readable as a file; the message names it."""
    with pytest.raises(ImageLoadError, match="could not be read"):
        load_image_file(tmp_path)


def test_load_image_file_reads_and_delegates(tmp_path, quadrants, save):
    """A file on disk loads like its bytes, and keyword arguments are passed on."""
    path = tmp_path / "picture.png"
    path.write_bytes(save(Image.fromarray(quadrants), "PNG"))
    loaded = load_image_file(path, max_side=30)
    assert loaded.image.shape == (20, 30, 3) and loaded.info.downscaled
    np.testing.assert_array_equal(load_image_file(str(path)).image, quadrants)
