"""End-to-end tests of the Streamlit app in a real browser (marker ``browser``).

A real ``streamlit run app.py`` serves the app and Debian's headless Chromium
opens it through Playwright (fixtures in ``conftest.py``). Each test starts a
fresh browser context, hence a fresh Streamlit session.

Nothing here sleeps for a fixed time: every check waits for the page to reach
the expected state with ``expect(...)`` or ``wait_for_function`` and a bound,
because the machine running the tests may be slow and busy.

Selectors are Streamlit 1.67's ``data-testid`` values and the ``st-key-<key>``
class Streamlit puts on the container of a widget with ``key=<key>``; the
statistics table is read through the accessible ``<table role="grid">`` that
Streamlit's canvas data grid keeps in the DOM (``aria-rowcount`` = rows + 1
for the header).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under REQUIRE_BROWSER)
    expect = None

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000  # one rerun of the app on a busy 2-core machine, with margin

K_SLIDER = '.st-key-k [data-testid="stSlider"]'
CHART = ".st-key-convergence_chart .js-plotly-plot"
EXCEPTION = '[data-testid="stException"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
PHONE_VIEWPORT = {"width": 390, "height": 844}  # an iPhone 12-15 in portrait


def wait_for_original_photo(page, width: int, height: int) -> None:
    """Wait until the main "Original" picture is loaded with the given pixel size."""
    page.wait_for_function(
        """([width, height]) => [...document.querySelectorAll(
               '[data-testid="stMain"] [data-testid="stImage"]')].some(figure => {
             const img = figure.querySelector("img");
             return figure.textContent.includes("Original") && img !== null && img.complete
                 && img.naturalWidth === width && img.naturalHeight === height;
           })""",
        arg=[width, height], timeout=TIMEOUT_MS)


def statistics_grid(page):
    """The accessible grid of the segment-statistics table (one row per segment)."""
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="compactness")
    return table.locator('table[role="grid"]')


def expect_segment_rows(page, n_segments: int) -> None:
    """Wait until the statistics table has ``n_segments`` data rows."""
    expect(statistics_grid(page)).to_have_attribute("aria-rowcount", str(n_segments + 1),
                                                    timeout=TIMEOUT_MS)


def expect_no_exception(page) -> None:
    """No Python exception box in the app and no JavaScript error in the page."""
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.js_errors == []


def jpeg_bytes(width: int, height: int) -> bytes:
    """A JPEG photo-like test picture: four coloured quadrants with mild noise."""
    rng = np.random.default_rng(0)
    picture = np.empty((height, width, 3), dtype=np.float32)
    picture[: height // 2, : width // 2] = (200, 40, 40)
    picture[: height // 2, width // 2:] = (40, 160, 60)
    picture[height // 2:, : width // 2] = (30, 60, 190)
    picture[height // 2:, width // 2:] = (230, 210, 60)
    picture += rng.normal(0, 8, picture.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(buffer, format="JPEG",
                                                                     quality=90)
    return buffer.getvalue()


def test_page_shows_image_chart_and_table(app_page):
    """The default page shows the photo, the Plotly animation and 4 segment rows, no error."""
    page = app_page
    expect(page.locator(f'{MAIN} [data-testid="stImage"] img').first).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_for_original_photo(page, 512, 512)  # the astronaut sample
    expect(page.locator(CHART)).to_be_visible(timeout=TIMEOUT_MS)
    # The figure holds one animation frame per iteration and a slider step for each.
    n_frames, n_steps = page.locator(CHART).evaluate(
        "gd => [gd._transitionData._frames.length, gd._fullLayout.sliders[0].steps.length]")
    assert n_frames == n_steps >= 2
    expect_segment_rows(page, 4)
    expect(page.locator(MAIN).get_by_text("Working at 512 x 512 px.")).to_be_visible()
    expect_no_exception(page)


def test_k_slider_changes_the_statistics_table(app_page, wait_for_app):
    """Moving the k slider one step right (keyboard) gives a table with 5 rows instead of 4."""
    page = app_page
    expect_segment_rows(page, 4)
    thumb = page.locator(K_SLIDER).get_by_role("slider")
    expect(thumb).to_have_value("4")
    thumb.focus()
    page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("5")
    wait_for_app(page)
    expect_segment_rows(page, 5)
    expect_no_exception(page)


def test_link_with_query_parameters_restores_settings(new_page, streamlit_server, wait_for_app):
    """Opening ?sample=coins&k=6 selects the coins photo (384 x 303) and k=6 (6 table rows)."""
    page = new_page()
    page.goto(f"{streamlit_server}/?sample=coins&k=6", wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(K_SLIDER).get_by_role("slider")).to_have_value("6")
    expect_segment_rows(page, 6)
    expect(page.locator(MAIN).get_by_text("Greek coins: Working at 384 x 303 px.")).to_be_visible()
    expect_no_exception(page)


def test_uploading_a_jpeg_replaces_the_image(app_page, wait_for_app):
    """A 640 x 480 JPEG uploaded through the dropzone is segmented at 512 x 384, without error."""
    page = app_page
    page.locator(".st-key-image_source").get_by_text("Upload", exact=True).click()
    wait_for_app(page)
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    dropzone.set_input_files(files=[{"name": "quadrants.jpg", "mimeType": "image/jpeg",
                                     "buffer": jpeg_bytes(640, 480)}])
    caption = page.locator(MAIN).get_by_text("Working at 512 x 384 px", exact=False)
    expect(caption).to_be_visible(timeout=TIMEOUT_MS)
    expect(caption).to_contain_text("downscaled from 640 x 480")
    wait_for_app(page)
    wait_for_original_photo(page, 512, 384)  # the upload replaced the sample on the page
    expect_segment_rows(page, 4)
    expect(page.locator(f'{SIDEBAR} [data-testid="stAlert"]')).to_have_count(0)
    expect_no_exception(page)


def test_play_advances_the_animation(app_page):
    """Pressing ▶ Play moves the animation slider forward through the frames."""
    page = app_page
    chart = page.locator(CHART)
    expect(chart).to_be_visible(timeout=TIMEOUT_MS)
    start = chart.evaluate("gd => gd._fullLayout.sliders[0].active")
    # Record every frame Plotly animates, from the plot's own event.
    chart.evaluate("gd => { gd._framesSeen = []; "
                   "gd.on('plotly_animatingframe', e => gd._framesSeen.push(e.name)); }")
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(
        "([gd, start]) => gd._framesSeen.length >= 2 && gd._fullLayout.sliders[0].active > start",
        arg=[chart.element_handle(), start], timeout=TIMEOUT_MS)
    frames_seen = chart.evaluate("gd => gd._framesSeen")
    assert len(set(frames_seen)) >= 2
    expect_no_exception(page)


@pytest.mark.parametrize("name, viewport", [("laptop", None), ("phone", PHONE_VIEWPORT)],
                         ids=["laptop", "phone"])
def test_screenshot(name, viewport, new_page, streamlit_server, wait_for_app, screenshot_dir):
    """The app renders without error and without sideways scrolling at laptop and phone widths."""
    page = new_page(viewport)
    viewport = page.viewport_size
    page.goto(streamlit_server, wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(CHART)).to_be_attached(timeout=TIMEOUT_MS)
    expect_segment_rows(page, 4)
    main_overflow = page.locator(MAIN).evaluate("main => main.scrollWidth - main.clientWidth")
    assert main_overflow <= 1, f"the page scrolls sideways by {main_overflow} px at {name} width"
    path = screenshot_dir / f"explore-{name}-{viewport['width']}px.png"
    page.screenshot(path=str(path))
    with Image.open(path) as shot:
        assert shot.size == (viewport["width"], viewport["height"])
    print(f"\n{name} screenshot: {path}")  # also listed in pytest's terminal summary
    expect_no_exception(page)


def test_every_image_has_alt_text(app_page):
    """Every <img> of the page (main area and sidebar) has a non-empty alt text for screen readers."""
    page = app_page
    expect(page.locator(f'{MAIN} [data-testid="stImage"] img').first).to_be_visible(
        timeout=TIMEOUT_MS)
    expect_segment_rows(page, 4)
    images = page.locator("img").evaluate_all(
        """imgs => imgs.map(img => ({
             where: img.closest('[data-testid="stSidebar"]') ? "sidebar" : "main",
             caption: (img.closest('[data-testid="stImage"]') || img).textContent.slice(0, 40),
             alt: img.getAttribute("alt")}))""")
    assert len(images) >= 5  # original, overlay, boundaries, mean colours, iteration
    missing = [f"{image['where']}: {image['caption']!r}" for image in images
               if not (image["alt"] or "").strip()]
    assert missing == [], f"images without alt text: {missing}"
    expect_no_exception(page)
