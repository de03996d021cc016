"""Fuzz tests of :func:`segmentation.io.load_image`: mutated, random and hostile files.

The property, for any bytes at all: ``load_image`` either returns a valid
image ((H, W, 3) uint8, C-contiguous, read-only, consistent with its
``ImageInfo``) or raises :class:`ImageLoadError` with one of its plain-language
messages. Never another exception, never a hang. The inputs are small valid
PNG, JPEG, GIF, TIFF, WebP and BMP files made here with Pillow, in many pixel
modes and encodings, then damaged: bit flips, byte changes, insertions,
deletions, truncation, header integers overwritten, declared sizes changed
(with the PNG checksums fixed, so the damage reaches the decoder), plus
random bytes behind real magic numbers. Declared sizes above the limit
(decompression bombs) must be refused quickly, before decoding.

Runs: by default (CI) every property test is derandomized (the same examples
every run, so CI never goes red by luck), bounded in examples and time, and
uses no example database. For a longer, random local run::

    FUZZ_LONG=1 .venv/bin/python -m pytest tests/test_io_fuzz.py

which runs 20 times as many examples with fresh random inputs each time.
"""

from __future__ import annotations

import io
import os
import struct
import time
import warnings
import zlib
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from segmentation.io import ALLOWED_FORMATS, MAX_PIXELS, ImageLoadError, load_image

HANG_SECONDS = 5.0  # one load of a small (damaged) file; far above the ~1-50 ms it takes
BOMB_SECONDS = 1.0  # refusing a bomb needs its header only
FUZZ_MAX_PIXELS = 1_000_000  # keeps a header claiming a big size cheap to decode
# The only messages a user may see (see segmentation/io.py).
USER_MESSAGES = ("The file is empty.", "This file is not an image we can read",
                 "This image is too large", "The image file is damaged or truncated.")


LONG_RUN = os.environ.get("FUZZ_LONG") == "1"


def time_limit(seconds: float):
    """pytest-timeout for one test, scaled like the number of examples in a long run."""
    return pytest.mark.timeout(seconds * (20 if LONG_RUN else 1))


def fuzz_settings(examples: int) -> settings:
    """CI: ``examples`` derandomized examples; ``FUZZ_LONG=1``: 20x as many, random."""
    common = dict(deadline=timedelta(seconds=2 * HANG_SECONDS), database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    if LONG_RUN:
        return settings(max_examples=20 * examples, derandomize=False, **common)
    # No "explain" phase: on a failure it reruns hundreds of variants, too slow for CI.
    return settings(max_examples=examples, derandomize=True,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink), **common)


# Pillow's notes on broken metadata (UserWarning) are expected here by the thousand.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")


# --------------------------------------------------------------------------- #
# Valid seed files, made with Pillow
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Seed:
    """How to encode one kind of valid file."""

    fmt: str  # Pillow format name
    mode: str  # pixel mode of the saved image
    options: tuple = ()  # (name, value) pairs passed to Image.save
    frames: int = 1  # > 1: an animation / multi-page file


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


SEEDS = (
    Seed("PNG", "RGB"), Seed("PNG", "RGBA"), Seed("PNG", "L"), Seed("PNG", "LA"),
    Seed("PNG", "P", (("transparency", 0),)), Seed("PNG", "I;16"), Seed("PNG", "1"),
    Seed("PNG", "RGB", (("exif", _exif(6)),)), Seed("PNG", "RGB", frames=2),
    Seed("JPEG", "RGB"), Seed("JPEG", "L"), Seed("JPEG", "CMYK"),
    Seed("JPEG", "RGB", (("progressive", True),)), Seed("JPEG", "RGB", (("exif", _exif(8)),)),
    Seed("GIF", "P"), Seed("GIF", "P", (("transparency", 1),)), Seed("GIF", "RGB", frames=3),
    Seed("TIFF", "RGB"), Seed("TIFF", "RGB", (("compression", "tiff_lzw"),)),
    Seed("TIFF", "RGB", (("compression", "tiff_deflate"),)),
    Seed("TIFF", "L", (("compression", "packbits"),)), Seed("TIFF", "RGB", (("compression", "jpeg"),)),
    Seed("TIFF", "1", (("compression", "group4"),)), Seed("TIFF", "F"), Seed("TIFF", "I;16"),
    Seed("TIFF", "CMYK"), Seed("TIFF", "RGBA"), Seed("TIFF", "RGB", frames=2),
    Seed("WEBP", "RGB"), Seed("WEBP", "RGBA", (("lossless", True),)),
    Seed("WEBP", "RGB", (("exif", _exif(3)),)), Seed("WEBP", "RGB", frames=2),
    Seed("BMP", "RGB"), Seed("BMP", "P"), Seed("BMP", "1"), Seed("BMP", "L"), Seed("BMP", "RGBA"),
)
assert {seed.fmt for seed in SEEDS} == set(ALLOWED_FORMATS)


def _pixels(pattern: str, shape: tuple[int, int], seed: int, mode: str) -> Image.Image:
    """A small picture of ``shape`` (H, W) in ``mode``: constant, two colours or noise."""
    rng = np.random.default_rng(seed)
    if pattern == "constant":
        rgb = np.broadcast_to(rng.integers(0, 256, 3, dtype=np.uint8), (*shape, 3))
    elif pattern == "two colours":
        rgb = np.where(rng.random(shape)[..., None] < 0.5, rng.integers(0, 256, 3),
                       rng.integers(0, 256, 3)).astype(np.uint8)
    else:
        rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    image = Image.fromarray(np.ascontiguousarray(rgb))
    if mode == "I;16":
        return Image.fromarray((rgb[..., 0].astype(np.uint16) * 257))
    if mode == "F":
        return Image.fromarray(rgb[..., 0].astype(np.float32) / 7.0 - 3.0)
    if mode == "RGBA":
        alpha = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
        image.putalpha(alpha)
        return image
    if mode == "LA":
        return image.convert("L").convert("LA")
    return image.convert(mode)


def encode(seed: Seed, pattern: str, shape: tuple[int, int], pixel_seed: int) -> bytes:
    """The bytes of a valid file of kind ``seed``."""
    frames = [_pixels(pattern, shape, pixel_seed + i, seed.mode) for i in range(seed.frames)]
    options = dict(seed.options)
    if seed.frames > 1:
        options.update(save_all=True, append_images=frames[1:])
    buffer = io.BytesIO()
    frames[0].save(buffer, format=seed.fmt, **options)
    return buffer.getvalue()


@st.composite
def valid_files(draw) -> bytes:
    """A valid small file of any allowed format and mode, 1x1 to 12x12 pixels."""
    seed = draw(st.sampled_from(SEEDS))
    shape = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    pattern = draw(st.sampled_from(["constant", "two colours", "noise"]))
    return encode(seed, pattern, shape, draw(st.integers(0, 2**16)))


# --------------------------------------------------------------------------- #
# Declared sizes, format by format
# --------------------------------------------------------------------------- #
def _png_chunks(data: bytes):
    """(offset, length, type) of every whole chunk of a PNG."""
    offset = 8
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        if offset + 12 + length > len(data):
            return
        yield offset, length, bytes(data[offset + 4:offset + 8])
        offset += 12 + length


def fix_png_crcs(data: bytearray) -> bytearray:
    """Recompute the CRC of every whole chunk, so the damage inside reaches the decoder."""
    for offset, length, _ in list(_png_chunks(data)):
        crc = zlib.crc32(bytes(data[offset + 4:offset + 8 + length]))
        data[offset + 8 + length:offset + 12 + length] = struct.pack(">I", crc)
    return data


def set_declared_size(fmt: str, data: bytes, width: int, height: int) -> bytes:
    """Rewrite the width and height a file declares, leaving its pixel data alone.

    Values are clipped to what the format's fields can hold.
    """
    data = bytearray(data)
    if fmt == "PNG":
        data[16:24] = struct.pack(">II", width % 2**32, height % 2**32)
        return bytes(fix_png_crcs(data))
    if fmt == "GIF":  # logical screen, then the first frame's extent
        data[6:10] = struct.pack("<HH", width % 2**16, height % 2**16)
        frame = data.find(b",", 13)
        if frame >= 0 and frame + 9 <= len(data):
            data[frame + 5:frame + 9] = struct.pack("<HH", width % 2**16, height % 2**16)
        return bytes(data)
    if fmt == "BMP":
        data[18:26] = struct.pack("<iI", width % 2**31, height % 2**32)
        return bytes(data)
    if fmt == "JPEG":  # every start-of-frame marker
        for marker in (b"\xff\xc0", b"\xff\xc2"):
            at = data.find(marker)
            if at >= 0:
                data[at + 5:at + 9] = struct.pack(">HH", height % 2**16, width % 2**16)
        return bytes(data)
    if fmt == "TIFF":  # first IFD: ImageWidth (256), ImageLength (257) as LONG
        (ifd,) = struct.unpack("<I", data[4:8])
        (count,) = struct.unpack("<H", data[ifd:ifd + 2])
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            (tag,) = struct.unpack("<H", data[entry:entry + 2])
            if tag in (256, 257):
                value = width if tag == 256 else height
                data[entry + 2:entry + 12] = struct.pack("<HII", 4, 1, value % 2**32)
        return bytes(data)
    if fmt == "WEBP":  # the VP8X canvas and the frame inside must agree
        if data[12:16] == b"VP8X":  # canvas size - 1, 24 bits each
            data[24:30] = ((width - 1) % 2**24).to_bytes(3, "little") + \
                ((height - 1) % 2**24).to_bytes(3, "little")
        for chunk in (b"VP8L", b"VP8 "):
            at = data.find(chunk, 12) + 8  # the chunk's payload
            if at < 8 or at + 10 > len(data):
                continue
            if chunk == b"VP8L":  # size - 1, 14 bits each, after the 0x2f signature
                (bits,) = struct.unpack("<I", data[at + 1:at + 5])
                bits = (bits & ~(2**28 - 1)) | ((width - 1) % 2**14) | (((height - 1) % 2**14) << 14)
                data[at + 1:at + 5] = struct.pack("<I", bits)
            else:  # 14 bits each, after the 3-byte frame tag and the key-frame start code
                data[at + 6:at + 10] = struct.pack("<HH", width % 2**14, height % 2**14)
        return bytes(data)
    raise AssertionError(f"no size field known for {fmt}")


# --------------------------------------------------------------------------- #
# Mutations
# --------------------------------------------------------------------------- #
INTERESTING_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                    0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def _position(draw, data: bytearray) -> int:
    """A byte position, often in the header where the parsers decide most."""
    last = max(len(data) - 1, 0)
    return draw(st.one_of(st.integers(0, min(last, 63)), st.integers(0, last)))


def flip_bit(draw, data: bytearray) -> bytearray:
    if data:
        data[_position(draw, data)] ^= 1 << draw(st.integers(0, 7))
    return data


def set_byte(draw, data: bytearray) -> bytearray:
    if data:
        data[_position(draw, data)] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF])
                                           | st.integers(0, 255))
    return data


def insert_bytes(draw, data: bytearray) -> bytearray:
    at = draw(st.integers(0, len(data)))
    data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return data


def delete_bytes(draw, data: bytearray) -> bytearray:
    if data:
        at = _position(draw, data)
        del data[at:at + draw(st.integers(1, 32))]
    return data


def truncate(draw, data: bytearray) -> bytearray:
    return data[:draw(st.integers(0, len(data)))]


def duplicate_block(draw, data: bytearray) -> bytearray:
    if data:
        start = _position(draw, data)
        block = data[start:start + draw(st.integers(1, 64))]
        at = draw(st.integers(0, len(data)))
        data[at:at] = block
    return data


def overwrite_int(draw, data: bytearray) -> bytearray:
    """A header field changed: a 2- or 4-byte integer, either byte order."""
    size = draw(st.sampled_from([2, 4]))
    if len(data) < size:
        return data
    at = draw(st.integers(0, min(len(data) - size, 96)))
    value = draw(st.sampled_from(INTERESTING_INTS) | st.integers(0, 2**32 - 1)) % 2**(8 * size)
    order = draw(st.sampled_from("<>"))
    data[at:at + size] = struct.pack(order + ("H" if size == 2 else "I"), value)
    return data


MUTATIONS = (flip_bit, set_byte, insert_bytes, delete_bytes, truncate, duplicate_block,
             overwrite_int)
SIZES = st.sampled_from([0, 1, 2, 3, 255, 256, 999, 1000, 1001, 4096, 65535, 65536]) | \
    st.integers(0, 2**32 - 1)


@st.composite
def damaged_files(draw) -> bytes:
    """A valid file with 1 to 4 random mutations, sometimes a changed declared size."""
    seed = draw(st.sampled_from(SEEDS))
    shape = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    pattern = draw(st.sampled_from(["constant", "two colours", "noise"]))
    data = encode(seed, pattern, shape, draw(st.integers(0, 2**16)))
    if draw(st.booleans()):
        data = set_declared_size(seed.fmt, data, draw(SIZES), draw(SIZES))
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    if seed.fmt == "PNG" and draw(st.booleans()):
        fix_png_crcs(data)
    return bytes(data)


MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"GIF87a", b"GIF89a",
          b"II*\x00", b"MM\x00*", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
          b"RIFF\x00\x00\x00\x00WEBPVP8L", b"RIFF\x00\x00\x00\x00WEBPVP8X", b"%PDF-", b"\x00\x00\x01\x00")
random_files = st.binary(max_size=600) | st.builds(
    lambda magic, tail: magic + tail, st.sampled_from(MAGICS), st.binary(max_size=300))


# --------------------------------------------------------------------------- #
# The property
# --------------------------------------------------------------------------- #
def loads_or_refuses(data: bytes, *, max_side: int | None = None,
                     max_pixels: int = FUZZ_MAX_PIXELS) -> str:
    """Load ``data`` and check the property; return "image" or "refused"."""
    started = time.perf_counter()
    try:
        loaded = load_image(data, max_side=max_side, max_pixels=max_pixels)
    except ImageLoadError as err:
        assert str(err).startswith(USER_MESSAGES), f"unexpected message: {err}"
        outcome = "refused"
    else:
        image, info = loaded
        assert isinstance(image, np.ndarray) and image.dtype == np.uint8
        assert image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) >= 1
        assert image.flags.c_contiguous and not image.flags.writeable
        assert info.size == image.shape[:2]
        assert info.original_size[0] * info.original_size[1] <= max_pixels
        assert info.format in (*ALLOWED_FORMATS, "MPO")
        if max_side is not None:
            assert max(image.shape[:2]) <= max_side
        else:
            assert info.size == info.original_size
        outcome = "image"
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_SECONDS, f"load_image took {elapsed:.1f} s on {len(data)} bytes"
    event(outcome)  # --hypothesis-show-statistics shows how often each happened
    return outcome


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #
@time_limit(120)
@fuzz_settings(200)
@given(data=valid_files(), max_side=st.none() | st.integers(8, 16))
def test_valid_files_load(data, max_side):
    # The seeds themselves: every one is a valid file and must load, not be refused.
    assert loads_or_refuses(data, max_side=max_side) == "image"


@time_limit(180)
@fuzz_settings(3000)
@given(data=damaged_files(), max_side=st.none() | st.integers(8, 64))
@example(data=b"\x89PNG\r\n\x1a\n", max_side=None)  # a magic number and nothing else
def test_damaged_files_load_or_are_refused(data, max_side):
    # Mutated files: a valid image or ImageLoadError, nothing else, quickly.
    loads_or_refuses(data, max_side=max_side)


@time_limit(120)
@fuzz_settings(1000)
@given(data=damaged_files())
def test_damaged_files_with_warnings_as_errors(data):
    # Under `python -W error` (every warning an exception), still only ImageLoadError:
    # Pillow's metadata notes and NumPy's overflow warnings must not escape.
    with warnings.catch_warnings():  # the test runs in one thread; the loader never does this
        warnings.simplefilter("error")
        loads_or_refuses(data)


@time_limit(120)
@fuzz_settings(1000)
@given(data=random_files)
def test_random_bytes_load_or_are_refused(data):
    # Random bytes, alone or behind a real magic number: an image or ImageLoadError, quickly.
    loads_or_refuses(data)


# --- decompression bombs -------------------------------------------------------

BOMB_FORMATS = {  # format -> (seed, largest width and height its size fields hold)
    "PNG": (Seed("PNG", "RGB"), 2**31 - 1), "GIF": (Seed("GIF", "P"), 2**16 - 1),
    "BMP": (Seed("BMP", "RGB"), 2**31 - 1), "JPEG": (Seed("JPEG", "RGB"), 2**16 - 1),
    "TIFF": (Seed("TIFF", "RGB"), 2**32 - 1), "WEBP-VP8": (Seed("WEBP", "RGB"), 2**14 - 1),
    "WEBP-VP8L": (Seed("WEBP", "RGB", (("lossless", True),)), 2**14),
    "WEBP-VP8X": (Seed("WEBP", "RGBA"), 2**14 - 1),  # lossy + alpha: the VP8 frame limits it
}


@st.composite
def bombs(draw) -> tuple[str, bytes, int, int]:
    """A tiny valid file whose header claims more than MAX_PIXELS pixels."""
    kind = draw(st.sampled_from(sorted(BOMB_FORMATS)))
    seed, largest = BOMB_FORMATS[kind]
    width = draw(st.integers(MAX_PIXELS // largest + 1, largest))
    height = draw(st.integers(MAX_PIXELS // width + 1, largest))
    data = set_declared_size(seed.fmt, encode(seed, "noise", (4, 4), 0), width, height)
    return kind, data, width, height


@time_limit(120)
@fuzz_settings(300)
@given(bomb=bombs())
@example(bomb=("PNG", set_declared_size("PNG", encode(Seed("PNG", "RGB"), "noise", (4, 4), 0),
                                        100_000, 100_000), 100_000, 100_000))
def test_declared_sizes_over_the_limit_are_refused_quickly(bomb):
    # A few bytes claiming > 50 MP, at the default limit: "too large", before decoding.
    kind, data, width, height = bomb
    assert width * height > MAX_PIXELS
    started = time.perf_counter()
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(data)
    assert time.perf_counter() - started < BOMB_SECONDS, kind


@time_limit(60)
@pytest.mark.parametrize("kind", sorted(BOMB_FORMATS))
def test_size_patcher_changes_the_declared_size(kind):
    # The bomb test above is only meaningful if the patched header really claims
    # the new size: a small patched size (under the limit) is read back by Pillow.
    seed, _ = BOMB_FORMATS[kind]
    data = set_declared_size(seed.fmt, encode(seed, "noise", (4, 4), 0), 300, 200)
    assert Image.open(io.BytesIO(data)).size == (300, 200)
