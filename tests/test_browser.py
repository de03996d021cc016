"""End-to-end tests of the Streamlit app in a real browser (marker ``browser``).

A real ``streamlit run app.py`` serves the app and Debian's headless Chromium
opens it through Playwright (fixtures in ``conftest.py``). Each test starts a
fresh browser context, hence a fresh Streamlit session.

Nothing here sleeps for a fixed time: every check waits for the page to reach
the expected state with ``expect(...)`` or ``wait_for_function`` and a bound,
because the machine running the tests may be slow and busy.

Selectors are Streamlit 1.67's ``data-testid`` values and the ``st-key-<key>``
class Streamlit puts on the container of a widget with ``key=<key>``; the
statistics table is a static HTML ``<table>`` in the container keyed
``explore_statistics``, one ``<tbody>`` row per segment.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

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
CHART = ".st-key-explore_inertia_chart img"  # the inertia curve (an SVG picture)
ANIMATION = ".st-key-explore_convergence_chart .js-plotly-plot"
STEP_SLIDER = '.st-key-explore_step [data-testid="stSlider"]'
# The first-screen picture: the first image of the main area (its caption says "segments").
STEP_PICTURE = '[data-testid="stMain"] [data-testid="stImage"] img'
LAPTOP_768 = {"width": 1366, "height": 768}
EXCEPTION = '[data-testid="stException"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
PHONE_VIEWPORT = {"width": 390, "height": 844}  # an iPhone 12-15 in portrait


def wait_for_original_photo(page, width: int, height: int) -> None:
    """Wait until the first-screen picture (the segmented photo, at working resolution)
    is loaded with the given pixel size."""
    page.wait_for_function(
        """([width, height]) => {
             const img = document.querySelector('[data-testid="stMain"] [data-testid="stImage"] img');
             return img !== null && img.complete && img.naturalWidth === width
                 && img.naturalHeight === height;
           }""",
        arg=[width, height], timeout=TIMEOUT_MS)


def statistics_rows(page):
    """The body rows of the segment-statistics table (one row per segment)."""
    return page.locator(".st-key-explore_statistics table tbody tr")


def expect_segment_rows(page, n_segments: int) -> None:
    """Wait until the statistics table has ``n_segments`` data rows."""
    expect(statistics_rows(page)).to_have_count(n_segments, timeout=TIMEOUT_MS)


def page_url_paths() -> list[str]:
    """The url_path of every page in app.py's PAGES table (read, not imported: importing
    app.py would run it)."""
    tree = ast.parse((Path(__file__).resolve().parents[1] / "app.py").read_text(encoding="utf-8"))
    table = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(target, "id", None) == "PAGES" for target in node.targets))
    return [options["url_path"] for options in ast.literal_eval(table).values()]


def in_first_viewport(page, selector: str) -> bool:
    """Whether the element's top edge and at least half its height are in the first screen."""
    return page.locator(selector).first.evaluate(
        """element => { const box = element.getBoundingClientRect();
             return box.top >= 0 && box.top + box.height / 2 <= window.innerHeight; }""")


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
    # The inertia curve marks the last iteration, the converged result.
    n_iter = page.locator(CHART).get_attribute("alt").split(" over ")[1].split()[0]
    expect(page.locator(CHART)).to_have_attribute("alt", re.compile(f"dot on iteration {n_iter}"))
    # No chart library on the first screen: Plotly's 4.7 MB bundle is not loaded.
    assert page.locator(".js-plotly-plot").count() == 0
    expect_segment_rows(page, 4)
    expect(page.locator(MAIN).get_by_text("Working at 512 x 512 px.", exact=False)).to_be_visible()
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
    expect(page.locator(MAIN).get_by_text("Greek coins: Working at 384 x 303 px.",
                                          exact=False)).to_be_visible()
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


def test_play_advances_the_animation(app_page, wait_for_app):
    """The animation, switched on, opens on the result; ▶ Play replays the frames from 0."""
    page = app_page
    page.locator(".st-key-explore_animation").get_by_text("Show the animation").click()
    wait_for_app(page)
    chart = page.locator(ANIMATION)
    expect(chart).to_be_visible(timeout=TIMEOUT_MS)
    assert chart.evaluate("gd => gd._fullLayout.sliders.length") == 0  # one iteration control
    # Record every frame Plotly animates, from the plot's own event.
    chart.evaluate("gd => { gd._framesSeen = []; "
                   "gd.on('plotly_animatingframe', e => gd._framesSeen.push(e.name)); }")
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function("gd => gd._framesSeen.length >= 2", arg=chart.element_handle(),
                           timeout=TIMEOUT_MS)
    frames_seen = chart.evaluate("gd => gd._framesSeen")
    assert frames_seen[:2] == ["0", "1"]
    expect_no_exception(page)


def test_step_control_works_from_the_keyboard(app_page, wait_for_app):
    """Tab to the step slider, press ArrowLeft: the picture and the curve's marker change."""
    page = app_page
    picture = page.locator(STEP_PICTURE).first
    expect(picture).to_be_visible(timeout=TIMEOUT_MS)
    before = picture.get_attribute("src")
    thumb = page.locator(STEP_SLIDER).get_by_role("slider")
    page.locator(".st-key-k").get_by_role("slider").focus()
    for _ in range(30):  # keyboard only: Tab until the step slider has the focus
        if thumb.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert thumb.evaluate("element => element === document.activeElement"), \
        "the step slider cannot be reached with Tab"
    page.keyboard.press("ArrowLeft")  # from the result back to the last update half-step
    expect(picture).not_to_have_attribute("src", before, timeout=TIMEOUT_MS)
    wait_for_app(page)
    expect(page.locator(MAIN).get_by_text("update: the centres moved", exact=False)).to_be_visible()
    # The curve now marks the half-step with a dashed line.
    expect(page.locator(CHART)).to_have_attribute("alt", re.compile("dashed line"))
    expect_no_exception(page)


@pytest.mark.parametrize("name, viewport", [("laptop", LAPTOP_768), ("phone", PHONE_VIEWPORT)],
                         ids=["laptop", "phone"])
def test_screenshot(name, viewport, new_page, streamlit_server, wait_for_app, screenshot_dir):
    """k slider and segmented picture in the first screen, no sideways scrolling, no error."""
    page = new_page(viewport)
    viewport = page.viewport_size
    page.goto(streamlit_server, wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(CHART)).to_be_attached(timeout=TIMEOUT_MS)
    expect_segment_rows(page, 4)
    page.evaluate("window.scrollTo(0, 0)")
    assert in_first_viewport(page, STEP_PICTURE), f"the picture is below the fold at {name} size"
    assert in_first_viewport(page, K_SLIDER), f"the k slider is below the fold at {name} size"
    if name == "laptop":  # the curve shares the laptop's first screen too
        assert in_first_viewport(page, CHART)
    main_overflow = page.locator(MAIN).evaluate("main => main.scrollWidth - main.clientWidth")
    assert main_overflow <= 1, f"the page scrolls sideways by {main_overflow} px at {name} width"
    path = screenshot_dir / f"explore-{name}-{viewport['width']}px.png"
    page.screenshot(path=str(path))
    with Image.open(path) as shot:
        assert shot.size == (viewport["width"], viewport["height"])
    print(f"\n{name} screenshot: {path}")  # also listed in pytest's terminal summary
    expect_no_exception(page)


def test_phone_change_keeps_the_picture_uncovered(new_page, streamlit_server, wait_for_app):
    """On a phone the sidebar starts closed, and after a k change nothing covers the picture."""
    page = new_page(PHONE_VIEWPORT)
    page.goto(streamlit_server, wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    thumb = page.locator(K_SLIDER).get_by_role("slider")
    thumb.focus()
    page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("5")
    wait_for_app(page)
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    expect_no_exception(page)


def test_presentation_link_collapses_the_sidebar(new_page, streamlit_server, wait_for_app):
    """?present=1 on a laptop: the sidebar starts closed and the settings fold away."""
    page = new_page(LAPTOP_768)
    page.goto(f"{streamlit_server}/?present=1", wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    expect(page.locator(MAIN).get_by_text("Settings: k and features")).to_be_visible()
    assert in_first_viewport(page, STEP_PICTURE)
    expect_no_exception(page)


@pytest.mark.parametrize("url_path", page_url_paths())
def test_deep_link_to_each_page_on_a_fresh_server(url_path, new_page, fresh_server,
                                                  wait_for_app):
    """A fresh server whose first visitor opens a page's own URL shows it with the sidebar."""
    url = fresh_server()
    page = new_page(LAPTOP_768)
    page.goto(f"{url}/{url_path}", wait_until="domcontentloaded")
    wait_for_app(page)
    expect(page.locator(SIDEBAR).get_by_role("heading", name="Image")).to_be_attached()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator(MAIN).locator("h1")).to_have_count(1)
    expect_no_exception(page)


def test_every_image_has_alt_text(app_page):
    """Every <img> of the page (main area and sidebar) has a non-empty alt text."""
    page = app_page
    expect(page.locator(f'{MAIN} [data-testid="stImage"] img').first).to_be_visible(
        timeout=TIMEOUT_MS)
    expect_segment_rows(page, 4)
    images = page.locator("img").evaluate_all(
        """imgs => imgs.map(img => ({
             where: img.closest('[data-testid="stSidebar"]') ? "sidebar" : "main",
             caption: (img.closest('[data-testid="stImage"]') || img).textContent.slice(0, 40),
             alt: img.getAttribute("alt")}))""")
    assert len(images) >= 2  # the first-screen picture and the open result tab
    missing = [f"{image['where']}: {image['caption']!r}" for image in images
               if not (image["alt"] or "").strip()]
    assert missing == [], f"images without alt text: {missing}"
    expect_no_exception(page)


def test_teaching_pages_through_the_navigation_and_by_link(app_page, streamlit_server,
                                                          wait_for_app):
    """Choosing k, Side by side and What the start does: reached from the sidebar's
    navigation and by their own address, each shows its title and its numbers without an
    exception; on the last, two clicks on the picture pick two starting centres, and k-means
    runs from them."""
    page = app_page
    slow = 240_000  # a cold teaching page runs k-means 11 to 44 times on a busy machine
    pages = [("Choosing k", "choosing_k", "Suggested elbow"),
             ("Side by side", "compare", "Pixels in disagreement"),
             ("What the start does", "starts", "Pairwise ARI, mean")]
    for title, _, number in pages:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
        wait_for_app(page, timeout=slow)
        expect(page.locator(MAIN).get_by_role("heading", name=title, level=1)).to_be_visible(
            timeout=slow)
        expect(page.locator(MAIN).get_by_text(number).first).to_be_visible(timeout=slow)
        expect_no_exception(page)
    for title, url_path, number in pages:
        page.goto(f"{streamlit_server}/{url_path}", wait_until="domcontentloaded")
        wait_for_app(page, timeout=slow)
        expect(page.locator(MAIN).get_by_role("heading", name=title, level=1)).to_be_visible(
            timeout=slow)
        expect(page.locator(MAIN).get_by_text(number).first).to_be_visible(timeout=slow)
        expect_no_exception(page)
    # Still on What the start does: pick two pixels on the picture, then run from them.
    canvas = page.locator(".st-key-starts_pick_canvas .nsewdrag").first
    canvas.scroll_into_view_if_needed()
    for step, (fx, fy) in enumerate([(0.25, 0.25), (0.75, 0.75)], start=1):
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        wait_for_app(page, timeout=slow)
        expect(page.locator(MAIN).get_by_text(re.compile(rf"^{step} pixel"))).to_be_visible(
            timeout=slow)
    page.get_by_role("button", name="Run from my picks").click()
    wait_for_app(page, timeout=slow)
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Your inertia")).to_be_visible(
        timeout=slow)
    expect_no_exception(page)


def test_overlay_opacity_from_the_keyboard_and_its_download(app_page, wait_for_app):
    """Arrow keys on the opacity slider repaint the overlay (the pictures' fragment alone),
    and the overlay download then has that opacity, byte for byte the exported overlay."""
    from segmentation import segment
    from segmentation.export import overlay_png
    from segmentation.samples import load_sample
    from segmentation.visualize import downscale_image
    from ui.params import SegmentParams

    page = app_page
    overlay = page.locator(f'{MAIN} [data-testid="stImage"] img[alt*="% opacity"]')
    expect(overlay).to_have_attribute("alt", re.compile("at 50% opacity"), timeout=TIMEOUT_MS)
    before = overlay.get_attribute("src")
    thumb = page.locator(".st-key-explore_opacity").get_by_role("slider")
    thumb.focus()
    for _ in range(6):  # 0.05 a press: 0.5 -> 0.8
        page.keyboard.press("ArrowRight")
    expect(overlay).to_have_attribute("alt", re.compile("at 80% opacity"), timeout=TIMEOUT_MS)
    expect(overlay).not_to_have_attribute("src", before)
    wait_for_app(page)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Overlay (PNG)").click()
    assert download.value.suggested_filename == "astronaut_k4_overlay.png"
    image = downscale_image(load_sample("astronaut"), 512)
    expected = overlay_png(image, segment(image, **SegmentParams().segment_kwargs()), 0.8)
    with Image.open(download.value.path()) as got, Image.open(io.BytesIO(expected)) as want:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    expect_no_exception(page)
