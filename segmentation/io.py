"""Load untrusted image uploads safely and encode arrays as PNG, all in memory.

Every image a user uploads is hostile until proven otherwise. The threats we
defend against, and how:

* **Non-images and exotic formats** (PDF, SVG, ICO, zips, random bytes): Pillow
  may only try an allowlist of formats (PNG, JPEG, WebP, GIF, BMP, TIFF), so the
  other parsers never see the bytes.
* **Decompression bombs** (a few kilobytes that claim 100 000 x 100 000
  pixels): the pixel count is read from the header and checked against
  ``max_pixels`` (and Pillow's own ``Image.MAX_IMAGE_PIXELS``) *before* any
  pixel is decoded.
* **Odd pixel modes** (palette, 16-bit, CMYK, 1-bit, alpha): every mode becomes
  the same (H, W, 3) uint8 RGB array, so the rest of the package sees one kind.
* **Damaged files**: truncated data is an error, never a half-grey picture
  (we do not enable ``ImageFile.LOAD_TRUNCATED_IMAGES``).

Every failure caused by the file raises :class:`ImageLoadError`, whose message a
non-programmer can read; programming mistakes (a bad ``max_side``) raise plain
``ValueError``/``TypeError``. Nothing is ever written to disk.

Thread safety: Streamlit runs every session in its own thread, so the loader
changes no process-wide state. In particular it never touches
``warnings.filters`` (``warnings.catch_warnings`` swaps that global list and
is not thread-safe: two overlapping sessions can leave each other's filters
installed for good). Pillow's bomb *warning* is avoided rather than caught:
we identify the file with the allowlisted parsers ourselves, without the
size check ``Image.open`` runs, and check the size with our own limit, which
is never above Pillow's. (A GIF whose first frame is larger than its screen
is sized by Pillow's parser itself, which may still warn before refusing or
handing it to our check; the file is refused either way.) Pillow's notes on
a file's broken metadata (``UserWarning``) are left to the application's
warning filters.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import numpy as np
from PIL import Image, ImageOps

from ._validation import check_int

# 50 megapixels is above any phone photo (~12-48 MP) yet keeps the decoded RGB
# array near 150 MB, which a shared web server survives. Pillow's own bomb limit
# (Image.MAX_IMAGE_PIXELS, about 89 MP) caps a larger max_pixels.
MAX_PIXELS = 50_000_000

# Transparent pixels are composited onto this colour. It is neutral (R = G = B,
# so it adds no hue to HSV or Lab features), light enough that dark line art on
# a transparent background keeps its contrast, and not pure white so that the
# background does not merge with white parts of the subject.
BACKGROUND_RGB = (200, 200, 200)

# Pillow format names we let parse the bytes; "MPO" is how Pillow reports the
# multi-picture JPEGs many cameras write, so it counts as JPEG.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
_ACCEPTED_NAMES = frozenset(ALLOWED_FORMATS) | {"MPO"}
_FORMATS_TEXT = "PNG, JPEG, WebP, GIF, BMP or TIFF"

_ORIENTATION_TAG = 0x0112  # EXIF "Orientation"; 5..8 swap height and width
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})

# What a malformed file can make Pillow raise while parsing or decoding.
# UserWarning: Pillow's notes on broken metadata, raised only when the
# application's warning filters turn them into errors (e.g. ``python -W error``).
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError,
                  TypeError, struct.error, zlib.error, UserWarning)
# What a parser raises for bytes that are not its format; Image.open tries
# the next format on exactly these.
_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, struct.error)


class ImageLoadError(ValueError):
    """The uploaded data is not an image we can load; the message is for end users."""


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`load_image` found in the file and what it did to it."""

    format: str  # Pillow format name of the file, e.g. "PNG", "JPEG", "MPO"
    mode: str  # original Pillow pixel mode, e.g. "RGB", "P", "I;16", "CMYK"
    original_size: tuple[int, int]  # (height, width) in the file, after EXIF rotation
    size: tuple[int, int]  # (height, width) of the returned array
    scale: float  # long side returned / long side original; 1.0 when not downscaled
    n_frames: int  # frames in the file (animations, multi-page TIFF); only the first is loaded
    had_alpha: bool  # had transparency, composited onto BACKGROUND_RGB (dropped if 16-bit/float)
    exif_transposed: bool  # an EXIF Orientation tag rotated or flipped the pixels

    @property
    def downscaled(self) -> bool:
        """True when the returned image is smaller than the original."""
        return self.size != self.original_size


class LoadedImage(NamedTuple):
    """An image ready for segmentation, plus how it was obtained."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, C-contiguous, read-only (copy to edit)
    info: ImageInfo


def load_image(data: bytes | bytearray | memoryview | BinaryIO, *,
               max_side: int | None = None, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode an uploaded image into an (H, W, 3) uint8 RGB array.

    Parameters
    ----------
    data : bytes, bytearray, memoryview or binary file-like object
        The encoded file. A ``BytesIO`` (such as Streamlit's ``UploadedFile``)
        gives its whole ``getvalue()``; another object with ``.read()`` is read.
    max_side : int or None, optional
        If given (>= 8) and the long side of the image is longer, the image is
        shrunk with a Lanczos filter so that its long side equals ``max_side``
        (aspect ratio kept, each side at least 1 pixel).
    max_pixels : int, optional
        Largest accepted ``height * width`` of the original image, checked from
        the header before decoding. Defaults to :data:`MAX_PIXELS`. Pillow's
        own bomb limit (``Image.MAX_IMAGE_PIXELS``, about 89 MP), if set, caps
        a larger value.

    Returns
    -------
    LoadedImage
        ``image`` of shape (H, W, 3), dtype uint8, C-contiguous and read-only,
        and an :class:`ImageInfo`.
        Animated files give their first frame. EXIF orientation is applied.
        Transparency is composited onto :data:`BACKGROUND_RGB`. 16-bit and
        float images are stretched from their own min..max to 0..255 (a constant
        one becomes black, as there is no contrast to stretch).

    Raises
    ------
    ImageLoadError
        If the data is empty, not an allowed format, too large, or damaged.
    ValueError, TypeError
        If ``max_side``/``max_pixels`` are invalid or ``data`` is not bytes.

    Examples
    --------
    >>> png = encode_png(np.zeros((2, 3, 3), dtype=np.uint8))
    >>> loaded = load_image(png)
    >>> loaded.image.shape, loaded.info.format
    ((2, 3, 3), 'PNG')
    """
    if max_side is not None:
        max_side = check_int(max_side, "max_side", low=8)
    max_pixels = check_int(max_pixels, "max_pixels", low=1)
    if hasattr(data, "getvalue"):  # BytesIO / Streamlit upload: whole file, wherever the cursor is
        data = data.getvalue()
    elif hasattr(data, "read"):
        data = data.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes (the file's content), not {type(data).__name__}; "
                        "use load_image_file for a path")
    data = bytes(data)
    if not data:
        raise ImageLoadError("The file is empty.")
    # Read once per call: another thread may change Pillow's global limit.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        return _decode(data, max_side, limit)
    except ImageLoadError:
        raise
    except Image.UnidentifiedImageError as err:
        raise ImageLoadError(
            f"This file is not an image we can read ({_FORMATS_TEXT}).") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # A second fence: a frame or tile of a file larger than the image it claims.
        raise ImageLoadError(f"This image is too large: it is over the "
                             f"{limit / 1e6:.3g} megapixel limit.") from err
    except _PILLOW_ERRORS as err:
        raise ImageLoadError("The image file is damaged or truncated.") from err


def load_image_file(path: str | os.PathLike, **kwargs) -> LoadedImage:
    """Read an image file from disk and decode it with :func:`load_image`.

    Parameters
    ----------
    path : str or os.PathLike
        Path of the file.
    **kwargs
        ``max_side`` and ``max_pixels``, passed to :func:`load_image`.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageLoadError
        If the file is missing, unreadable, or not a loadable image.

    Examples
    --------
    >>> load_image_file("no/such/file.png")
    Traceback (most recent call last):
    ...
    segmentation.io.ImageLoadError: The file 'file.png' was not found (no/such/file.png).
    """
    name = os.path.basename(os.fspath(path))
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError as err:
        raise ImageLoadError(f"The file {name!r} was not found ({os.fspath(path)}).") from err
    except OSError as err:
        raise ImageLoadError(f"The file {name!r} could not be read: {err.strerror}.") from err
    return load_image(data, **kwargs)


def encode_png(array: np.ndarray, *, compress_level: int = 6, optimize: bool = False) -> bytes:
    """Encode an image or label array as PNG bytes, keeping pixel values exactly.

    Parameters
    ----------
    array : ndarray
        (H, W) gives a grayscale PNG (mode "L"; use it for label masks, where
        pixel value = segment index), (H, W, 3) gives RGB, (H, W, 4) gives RGBA.
        uint8, or any integer dtype whose values lie in 0..255 (converted to
        uint8 without change).
    compress_level : int, optional
        zlib level 0 (fastest, biggest) to 9 (slowest, smallest).
    optimize : bool, optional
        Let Pillow search harder for a small file (slower).

    Returns
    -------
    bytes
        The PNG file.

    Raises
    ------
    ValueError
        If the shape or dtype is not one of the above, or values leave 0..255.

    Examples
    --------
    >>> encode_png(np.zeros((2, 2), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    array = np.asarray(array)
    compress_level = check_int(compress_level, "compress_level", low=0, high=9)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError("array must have shape (H, W), (H, W, 3) or (H, W, 4), "
                         f"got shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"array must have at least one pixel, got shape {array.shape}")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"array must be uint8 or integer in 0..255, got dtype {array.dtype}")
        lo, hi = int(array.min()), int(array.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"array of dtype {array.dtype} must have values in 0..255 "
                             f"to be stored as 8-bit PNG, got range [{lo}, {hi}]")
        array = array.astype(np.uint8)
    # Pillow infers the mode from shape and dtype: L, RGB or RGBA.
    image = Image.fromarray(np.ascontiguousarray(array))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level, optimize=bool(optimize))
    return buffer.getvalue()


def _open_allowlisted(data: bytes) -> Image.Image:
    """Identify ``data`` and parse its header with the allowlisted parsers only.

    What ``Image.open(..., formats=ALLOWED_FORMATS)`` does, minus its size
    check: that check *warns* between Pillow's limit and twice it, and a
    warning can only be silenced through the process-wide filters. The
    caller checks the size instead, against a limit never above Pillow's.

    Raises
    ------
    PIL.UnidentifiedImageError
        If no allowlisted parser recognises the data.
    """
    Image.init()  # registers every parser; a no-op after the first call
    file = io.BytesIO(data)
    prefix = data[:16]
    for name in ALLOWED_FORMATS:
        if name not in Image.OPEN:  # this Pillow was built without the codec
            continue
        factory, accept = Image.OPEN[name]
        verdict = True if accept is None else accept(prefix)
        if not verdict or isinstance(verdict, str):  # a str: "needs a codec Pillow lacks"
            continue
        file.seek(0)
        try:
            return factory(file, "")
        except _NOT_THIS_FORMAT:
            continue
    raise Image.UnidentifiedImageError("cannot identify image file")


def _decode(data: bytes, max_side: int | None, max_pixels: int) -> LoadedImage:
    """Open, check, decode, orient, convert and shrink; assumes validated arguments.

    ``max_pixels`` is the effective limit (already capped by Pillow's).
    Lets Pillow's exceptions propagate for :func:`load_image` to translate.
    """
    # 1. Parse the header only, with the allowlisted parsers only.
    img = _open_allowlisted(data)
    if img.format not in _ACCEPTED_NAMES:  # defensive: a plugin may report another name
        raise ImageLoadError(f"This file is not an image we can read ({_FORMATS_TEXT}).")
    width, height = img.size
    if width * height > max_pixels:
        raise ImageLoadError(
            f"This image is too large: {width} x {height} pixels is over the "
            f"{max_pixels / 1e6:.3g} megapixel limit.")
    fmt, mode, n_frames = img.format, img.mode, int(getattr(img, "n_frames", 1))
    # 2. Decode. A JPEG can decode straight at 1/2, 1/4 or 1/8 size (draft), which
    # saves memory before the exact, high-quality resize of step 5.
    scale = 1.0 if max_side is None else min(1.0, max_side / max(width, height))
    if scale < 1.0:
        img.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
    img.load()
    had_alpha = img.mode in _ALPHA_MODES or "transparency" in img.info
    # 3. Orient (EXIF is read after load, as PNG may store it after the pixels).
    orientation = img.getexif().get(_ORIENTATION_TAG, 1)
    transposed = orientation in (2, 3, 4, 5, 6, 7, 8)
    if transposed:
        img = ImageOps.exif_transpose(img)
        if orientation >= 5:
            width, height = height, width
    # 4. One pixel format: 8-bit RGB.
    rgb = _to_rgb(img, had_alpha)
    # 5. Shrink so the long side is exactly max_side.
    if scale < 1.0:
        target = (max(1, round(width * scale)), max(1, round(height * scale)))
        # reducing_gap: first shrink by an integer factor (fast box average), then
        # Lanczos over the last factor <= 3; Pillow documents the result as
        # indistinguishable from a full Lanczos, at a fraction of the cost.
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    array = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))  # (H, W, 3)
    array.flags.writeable = False  # safe to share between cached app sessions
    info = ImageInfo(
        format=fmt, mode=mode, original_size=(height, width),
        size=(array.shape[0], array.shape[1]),
        scale=max(array.shape[:2]) / max(height, width),
        n_frames=n_frames, had_alpha=had_alpha, exif_transposed=transposed)
    return LoadedImage(array, info)


def _to_rgb(img: Image.Image, had_alpha: bool) -> Image.Image:
    """Convert a decoded image of any mode to 8-bit RGB (see :func:`load_image`)."""
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        return _stretch_to_gray(np.asarray(img)).convert("RGB")
    if had_alpha:
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, BACKGROUND_RGB)
        # paste with the alpha channel as mask = alpha blending; exact at 0 and 255.
        background.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return background
    if img.mode == "RGB":
        return img
    return img.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, ...


def _stretch_to_gray(values: np.ndarray) -> Image.Image:
    """Map a high-bit-depth image linearly from its min..max onto 0..255.

    Non-finite floats become the minimum. A constant image becomes black.
    """
    # (H, W). float32 is exact for 16-bit data; 32-bit int and float data need
    # float64, or max - min of a wide range overflows float32 to inf.
    values = values.astype(np.float32 if values.dtype.itemsize <= 2 else np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return Image.new("L", (values.shape[1], values.shape[0]), 0)
    lo, hi = float(values[finite].min()), float(values[finite].max())
    if not finite.all():
        values[~finite] = lo
    span = hi - lo if hi > lo else 1.0
    gray = np.rint((values - lo) * (255.0 / span)).astype(np.uint8)
    return Image.fromarray(gray)


# --------------------------------------------------------------------------- #
# Label masks: a user's own ground truth
# --------------------------------------------------------------------------- #
# Most different values a label mask may hold. A mask paints a handful of
# regions in flat values; thousands of values mean a photograph or a JPEG
# (whose compression blurs flat colours into many), not a mask.
MAX_MASK_LABELS = 256

# Modes whose pixels are read as they are: one value (or one colour) per label.
# "P" gives palette indices, the labels of a palette mask; any other mode
# (CMYK, YCbCr, ...) is converted to RGB first.
_MASK_MODES = frozenset({"1", "L", "P", "I", "F", "LA", "PA", "RGB", "RGBA"}) | {
    "I;16", "I;16L", "I;16B", "I;16N"}


def load_label_mask(data: bytes | bytearray | memoryview | BinaryIO, *,
                    size: tuple[int, int] | None = None,
                    max_labels: int = MAX_MASK_LABELS,
                    max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an uploaded label mask: each distinct value or colour becomes one label.

    A label mask is a picture of the same size as the photo where every
    region is painted in one flat value (grayscale 0, 1, 2... or 0, 128,
    255), one palette index, or one colour. The same safeguards as
    :func:`load_image` apply (allowlisted formats, pixel limit checked before
    decoding, damaged files refused), but the pixels are never converted,
    blended or resized: that would invent labels between regions.

    Parameters
    ----------
    data : bytes, bytearray, memoryview or binary file-like object
        The encoded file (PNG recommended: JPEG blurs flat colours).
    size : (height, width), optional
        The size of the picture the mask belongs to; a mask of another size
        is refused.
    max_labels : int, optional
        Most distinct values accepted, :data:`MAX_MASK_LABELS` by default.
    max_pixels : int, optional
        Largest accepted ``height * width``, checked before decoding.

    Returns
    -------
    (H, W) int32 ndarray
        Labels 0..n-1, numbered in the order of the values (darkest gray,
        lowest palette index, or smallest packed colour first); read-only.

    Raises
    ------
    ImageLoadError
        (a ``ValueError``) If the data is empty, not an image, damaged or too
        large; if its size differs from ``size`` (the message gives both); or
        if it holds more than ``max_labels`` values.
    ValueError, TypeError
        If ``size``, ``max_labels`` or ``max_pixels`` are invalid, or ``data``
        is not bytes.

    Notes
    -----
    EXIF orientation is applied, as :func:`load_image` applies it to the
    photo, so a mask saved by the same camera app lines up. Colours are
    compared with their alpha channel: the same colour at two opacities is
    two labels.

    Examples
    --------
    >>> mask = encode_png(np.array([[0, 0, 255], [128, 128, 255]], dtype=np.uint8))
    >>> load_label_mask(mask, size=(2, 3)).tolist()
    [[0, 0, 2], [1, 1, 2]]
    >>> load_label_mask(mask, size=(3, 2))
    Traceback (most recent call last):
    ...
    segmentation.io.ImageLoadError: The label mask is 3 x 2 pixels but the picture is 2 x 3 pixels (width x height): draw the mask on the picture at its full size.
    """
    if size is not None:
        if not isinstance(size, (tuple, list)) or len(size) != 2:
            raise ValueError(f"size={size!r} must be (height, width)")
        size = (check_int(size[0], "size[0]", low=1), check_int(size[1], "size[1]", low=1))
    max_labels = check_int(max_labels, "max_labels", low=1)
    max_pixels = check_int(max_pixels, "max_pixels", low=1)
    if hasattr(data, "getvalue"):
        data = data.getvalue()
    elif hasattr(data, "read"):
        data = data.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes (the file's content), not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ImageLoadError("The label mask file is empty.")
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        values = _decode_mask(data, size, limit)
    except ImageLoadError:
        raise
    except Image.UnidentifiedImageError as err:
        raise ImageLoadError(
            f"The label mask is not an image we can read ({_FORMATS_TEXT}; PNG is best).") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageLoadError(f"The label mask is too large: it is over the "
                             f"{limit / 1e6:.3g} megapixel limit.") from err
    except _PILLOW_ERRORS as err:
        raise ImageLoadError("The label mask file is damaged or truncated.") from err
    return _values_to_labels(values, max_labels)


def _decode_mask(data: bytes, size: tuple[int, int] | None, max_pixels: int) -> np.ndarray:
    """Open, check and decode a mask into its raw values, (H, W) or (H, W, C).

    Assumes validated arguments; lets Pillow's exceptions propagate.
    """
    img = _open_allowlisted(data)
    if img.format not in _ACCEPTED_NAMES:
        raise ImageLoadError(f"The label mask is not an image we can read ({_FORMATS_TEXT}).")
    width, height = img.size
    if width * height > max_pixels:
        raise ImageLoadError(
            f"The label mask is too large: {width} x {height} pixels is over the "
            f"{max_pixels / 1e6:.3g} megapixel limit.")
    orientation = img.getexif().get(_ORIENTATION_TAG, 1)
    if orientation in (5, 6, 7, 8):  # checked before decoding: these swap height and width
        width, height = height, width
    if size is not None and (height, width) != size:
        raise ImageLoadError(
            f"The label mask is {width} x {height} pixels but the picture is {size[1]} x "
            f"{size[0]} pixels (width x height): draw the mask on the picture at its full size.")
    img.load()
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        img = ImageOps.exif_transpose(img)
    if img.mode not in _MASK_MODES:
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV: compared as colours
    return np.asarray(img)


def _values_to_labels(values: np.ndarray, max_labels: int) -> np.ndarray:
    """Number the distinct values (or colours) of a decoded mask 0..n-1, in order."""
    if values.ndim == 3:  # (H, W, C) 8-bit channels: pack each colour into one integer
        channels = values.astype(np.int64)
        packed = np.zeros(values.shape[:2], dtype=np.int64)  # (H, W)
        for channel in range(values.shape[2]):
            packed = (packed << 8) | channels[:, :, channel]
        values = packed
    distinct, labels = np.unique(values.reshape(-1), return_inverse=True)
    if distinct.size > max_labels:
        raise ImageLoadError(
            f"The label mask holds {distinct.size:,} different values or colours; at most "
            f"{max_labels} labels are allowed. A mask paints each region in one flat value or "
            "colour and is saved as PNG (JPEG blurs flat colours into thousands).")
    labels = np.ascontiguousarray(labels.reshape(values.shape[:2]).astype(np.int32))  # (H, W)
    labels.flags.writeable = False
    return labels
