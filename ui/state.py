"""The image every page works on, kept in ``st.session_state`` as a frozen record.

The sidebar of ``app.py`` chooses the image (a sample, an upload or a camera
snapshot) and stores a :class:`WorkingImage` under :data:`CURRENT_IMAGE_KEY`;
every page reads it with :func:`current_image`. The record is small: the
pixels at working resolution (at most ``max_side`` on the long side, about
0.8 MB at 512 px) plus a content digest, which is what the cache keys on, so
a page never hashes the pixels.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

__all__ = [
    "CURRENT_IMAGE_KEY",
    "DEFAULT_MAX_SIDE",
    "MAX_SIDE_CHOICES",
    "WorkingImage",
    "current_image",
    "image_digest",
    "set_current_image",
]

# Long side, in pixels, of the image k-means runs on. 512 px keeps a run
# well under a second on a shared 2-core server; phone photos (4000 px) would
# take a minute each and the segments would look the same.
DEFAULT_MAX_SIDE = 512
MAX_SIDE_CHOICES = (256, 384, 512, 768, 1024)
CURRENT_IMAGE_KEY = "current_image"
SOURCES = ("sample", "upload", "camera")


def image_digest(image: np.ndarray) -> str:
    """SHA-256 of an image's shape and pixels: equal digests mean equal images.

    Examples
    --------
    >>> a = np.zeros((2, 3, 3), dtype=np.uint8)
    >>> image_digest(a) == image_digest(a.copy()), image_digest(a) == image_digest(a[:, :2])
    (True, False)
    """
    image = np.ascontiguousarray(image)
    hasher = hashlib.sha256(f"{image.shape}{image.dtype}".encode())
    hasher.update(image.data)
    return hasher.hexdigest()


@dataclass(frozen=True, eq=False)
class WorkingImage:
    """The image being segmented, at working resolution, and where it came from."""

    source: str  # one of SOURCES: "sample", "upload" or "camera"
    name: str  # sample key, or the uploaded file's name
    title: str  # what to call it on screen
    digest: str  # image_digest(image): the cache key of everything computed from it
    image: np.ndarray  # (H, W, 3) uint8, read-only, long side <= max_side
    original_size: tuple[int, int]  # (height, width) before downscaling
    max_side: int  # the working-resolution limit it was prepared with

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the working image."""
        return self.image.shape[0], self.image.shape[1]

    @property
    def downscaled(self) -> bool:
        """True when the working image is smaller than the original."""
        return self.size != tuple(self.original_size)

    @property
    def sample_key(self) -> str | None:
        """The gallery key if this is a sample, else None (uploads never go in URLs)."""
        return self.name if self.source == "sample" else None

    @property
    def file_stem(self) -> str:
        """A safe file-name stem for downloads, e.g. ``'astronaut'`` or ``'my_photo'``."""
        stem = self.name.rsplit(".", 1)[0] if self.source != "sample" else self.name
        cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem).strip("_")
        return cleaned[:40] or "image"

    def resolution_text(self) -> str:
        """E.g. ``'Working at 512 x 384 px (downscaled from 4032 x 3024 for speed).'``."""
        height, width = self.size
        text = f"Working at {width} x {height} px"
        if self.downscaled:
            orig_h, orig_w = self.original_size
            text += f" (downscaled from {orig_w} x {orig_h} for speed)"
        return text + "."


def set_current_image(image: WorkingImage) -> None:
    """Make ``image`` the one every page works on."""
    st.session_state[CURRENT_IMAGE_KEY] = image


def current_image() -> WorkingImage:
    """The image chosen in the sidebar; the default sample if none was chosen yet.

    The fallback lets a page run on its own (e.g. in a test) without ``app.py``.
    """
    image = st.session_state.get(CURRENT_IMAGE_KEY)
    if image is None:
        from segmentation.samples import DEFAULT_SAMPLE

        from . import cache  # imported here: cache imports this module

        image = cache.sample_image(DEFAULT_SAMPLE, DEFAULT_MAX_SIDE)
        set_current_image(image)
    return image
