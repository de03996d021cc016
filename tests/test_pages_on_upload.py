"""Every page works on an uploaded picture, not only on the gallery's samples.

One AppTest session uploads a non-square photo-like PNG (odd size, so every
downscaling and grid has a remainder), then visits every page of the app
through the navigation. Each page must run without an exception or an error
message, keep the upload as its picture (no sample in the URL), and, except
the lesson (whose experiments run on fixed samples), show pictures (on the
learning page, once example strokes are painted).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "app_pages").glob("*.py"))
TIMEOUT = 300  # seconds: a cold teaching page runs k-means dozens of times


def photo_png(height: int = 233, width: int = 317) -> bytes:
    """Smooth colour fields with noise: a picture with regions, like a photo."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = [np.sin(a * x + b) + np.cos(c * y + d)
                for a, b, c, d in rng.uniform(1, 6, size=(3, 4))]
    picture = (np.stack(channels, -1) + 2) * 60 + rng.normal(0, 8, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def uploaded() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.radio(key="image_source").set_value("upload").run()
    at.file_uploader(key="upload").set_value(("my_photo.png", photo_png(), "image/png")).run()
    assert not at.exception and not at.error
    return at


def test_every_page_is_listed():
    assert len(PAGE_FILES) == 9


@pytest.mark.parametrize("page", PAGE_FILES)
def test_page_runs_on_the_upload(uploaded, page):
    at = uploaded.switch_page(page).run()
    if page.endswith("learning.py"):  # results appear once there are strokes
        at.button(key="learning_example").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "sample" not in at.query_params  # still the upload, not a gallery sample
    assert at.session_state["current_image"].name == "my_photo.png"
    if not page.endswith("lesson.py"):
        assert at.main.get("image") or at.get("plotly_chart"), "no picture on the page"
