"""ui/cache.segmentation under a class: computed once, queued beyond the slots, failures kept.

These call the caching layer from plain threads, as Streamlit's session
threads do; Streamlit's drawing calls are replaced by a recorder so the
messages a waiting student would see can be read.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest

from segmentation import TooFewDistinctPixelsError
from ui import cache
from ui.budget import ComputeSlots
from ui.params import SegmentParams
from ui.state import WorkingImage, image_digest


class Recorder:
    """Stands in for ``st`` inside ui.cache: records what the placeholders show."""

    def __init__(self):
        self.messages: list[str] = []
        self.lock = threading.Lock()

    def empty(self):
        recorder = self

        class Slot:
            def info(self, text, **_):
                with recorder.lock:
                    recorder.messages.append(text)

            def empty(self):
                pass

        return Slot()

    @contextmanager
    def spinner(self, text):
        yield


def working(image: np.ndarray) -> WorkingImage:
    image = np.ascontiguousarray(image)
    image.flags.writeable = False
    return WorkingImage(source="sample", name="test", title="test", digest=image_digest(image),
                        image=image, original_size=image.shape[:2], max_side=1024)


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(cache, "st", recorder)
    cache._RESULTS_CACHE.clear()
    cache._FEATURES_CACHE.clear()
    yield recorder
    cache._RESULTS_CACHE.clear()
    cache._FEATURES_CACHE.clear()


@pytest.fixture
def image() -> WorkingImage:
    return working(np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8))


def slow_segment(calls: list, running: list, peak: list, lock: threading.Lock, seconds: float):
    real = cache.segment

    def segment(*args, **kwargs):
        with lock:
            calls.append(kwargs)
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(seconds)
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    return segment


def in_threads(function, arguments) -> list:
    results = [None] * len(arguments)

    def run(i, argument):
        results[i] = function(argument)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(arguments)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # arrive in order
    for thread in threads:
        thread.join(30)
    return results


def test_a_class_asking_for_one_result_computes_it_once(recorder, image, monkeypatch):
    calls, running, peak, lock = [], [0], [0], threading.Lock()
    monkeypatch.setattr(cache, "segment", slow_segment(calls, running, peak, lock, 1.0))
    params = SegmentParams(k=3)
    results = in_threads(lambda _: cache.segmentation(image, params), range(6))
    assert len(calls) == 1
    assert all(result is results[0] for result in results)
    assert any("another student with the same settings" in m for m in recorder.messages)


def test_runs_beyond_the_slots_queue_and_say_how_many_are_ahead(recorder, image, monkeypatch):
    calls, running, peak, lock = [], [0], [0], threading.Lock()
    monkeypatch.setattr(cache, "segment", slow_segment(calls, running, peak, lock, 0.8))
    monkeypatch.setattr(cache, "KMEANS_SLOTS", ComputeSlots(1))
    results = in_threads(lambda k: cache.segmentation(image, SegmentParams(k=k)), [2, 3, 4])
    assert [r.k for r in results] == [2, 3, 4]
    assert peak[0] == 1  # never two k-means at once with one slot
    queued = [m for m in recorder.messages if m.startswith("Queued")]
    assert any(m.startswith("Queued: 2 k-means runs ahead") for m in queued)  # the third
    assert any(m.startswith("Queued: 1 k-means run ahead") for m in queued)
    # Drawn when the count changes, not at every poll (each drawing is a message):
    # "2 ahead" once and "1 ahead" once for the third run, "1 ahead" once for the second.
    assert len(queued) == 3, queued


def test_a_long_wait_is_redrawn_now_and_then(recorder, image, monkeypatch):
    """Unchanged, the notice is still redrawn every QUEUE_REDRAW_S (where Streamlit stops
    a run whose student has moved on)."""
    calls, running, peak, lock = [], [0], [0], threading.Lock()
    monkeypatch.setattr(cache, "segment", slow_segment(calls, running, peak, lock, 1.6))
    monkeypatch.setattr(cache, "KMEANS_SLOTS", ComputeSlots(1))
    monkeypatch.setattr(cache, "QUEUE_REDRAW_S", 0.4)
    in_threads(lambda k: cache.segmentation(image, SegmentParams(k=k)), [2, 3])
    queued = [m for m in recorder.messages if m.startswith("Queued: 1 k-means run ahead")]
    assert 3 <= len(queued) <= 5, queued  # ~1.6 s of waiting, polled every 0.5 s


def test_a_failure_is_cached_like_a_result(recorder, monkeypatch):
    two_colours = working(np.repeat(np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8), 10, 0))
    calls = []
    real = cache.segment

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "segment", counting)
    params = SegmentParams(k=5, position_weight=0.0)
    for _ in range(3):
        with pytest.raises(TooFewDistinctPixelsError):
            cache.segmentation(two_colours, params)
    assert calls == [1]


def test_a_link_cannot_ask_for_more_iterations_than_the_budget(recorder, monkeypatch):
    big = working(np.zeros((1024, 1100, 3), np.uint8))
    assert cache.max_iterations(big, 300) == cache.ITERATION_BUDGET // (1024 * 1100) - 1 == 93
    small = working(np.zeros((512, 512, 3), np.uint8))
    assert cache.max_iterations(small, 300) == 300
    seen = []
    monkeypatch.setattr(cache, "segment", lambda image, **kwargs: seen.append(kwargs) or "done")
    assert cache.segmentation(big, replace(SegmentParams(k=2), max_iter=300)) == "done"
    assert seen[0]["max_iter"] == 93


def test_results_are_budgeted_in_bytes(recorder, image, monkeypatch):
    monkeypatch.setattr(cache, "_RESULTS_CACHE",
                        type(cache._RESULTS_CACHE)(300_000, ttl_s=60,
                                                   cache_errors=cache.SETTINGS_ERRORS))
    for k in range(2, 12):
        cache.segmentation(image, SegmentParams(k=k, max_iter=50, tol=0))
    stats = cache.results_cache_stats()
    assert 0 < stats.bytes <= 300_000
    assert stats.evictions > 0 and stats.entries < 10


def test_an_upload_is_hashed_once_not_on_every_rerun(monkeypatch):
    # Hashing a 25 MB upload costs ~50 ms: once per file, then kept with its file_id.
    import io
    from pathlib import Path

    from PIL import Image
    from streamlit.testing.v1 import AppTest

    def png(colour) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (60, 40), colour).save(buffer, "PNG")
        return buffer.getvalue()

    hashed = []
    real = cache.bytes_digest
    monkeypatch.setattr(cache, "bytes_digest", lambda data: hashed.append(len(data)) or real(data))
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"),
                            default_timeout=300).run()
    app.radio(key="image_source").set_value("upload").run()
    app.file_uploader(key="upload").set_value(("red.png", png((200, 30, 30)), "image/png")).run()
    assert not app.exception
    app.slider(key="explore_opacity").set_value(0.8).run()
    app.slider(key="k").set_value(3).run()
    assert len(hashed) == 1
    app.file_uploader(key="upload").set_value(("blue.png", png((30, 30, 200)), "image/png")).run()
    assert len(hashed) == 2  # a new file is hashed again


def test_features_are_extracted_once_per_picture_and_feature_settings(recorder, image,
                                                                      monkeypatch):
    """A new k or seed reuses the feature matrix; the feature-space view reads the same one;
    only new feature settings extract again."""
    extracted = []
    real = cache.extract_features
    monkeypatch.setattr(cache, "extract_features",
                        lambda *args: extracted.append(args[1]) or real(*args))
    params = SegmentParams(k=3, color="lab", position_weight=0.3)
    first = cache.segmentation(image, params)
    cache.segmentation(image, replace(params, k=4))
    cache.segmentation(image, replace(params, seed=5, tol=0.0))
    assert len(extracted) == 1
    # The matrix k-means got is the one kept (not a copy), and segment() used it.
    kept = cache.features(image, params)
    assert cache.features(image, replace(params, k=7)) is kept
    assert first.statistics == cache.segment(image.image, **params.segment_kwargs()).statistics
    cache.segmentation(image, replace(params, color="hsv"))
    cache.segmentation(image, replace(params, position_weight=0.5))
    assert [spec.color for spec in extracted] == ["lab", "hsv", "lab"]
    assert cache._FEATURES_CACHE.stats().entries == 3


def test_threads_per_run_share_the_cores_among_the_slots(monkeypatch):
    """One thread per run when every core has its slot; $SEGMENT_THREADS overrides."""
    cores = len(cache.os.sched_getaffinity(0))
    monkeypatch.delenv("SEGMENT_THREADS", raising=False)
    assert cache._threads_per_run(cores) == 1
    assert cache._threads_per_run(1) == cores
    assert cache._threads_per_run(cores + 5) == 1
    monkeypatch.setenv("SEGMENT_THREADS", "3")
    assert cache._threads_per_run(1) == 3
    monkeypatch.setenv("SEGMENT_THREADS", "zero")
    assert cache._threads_per_run(cores) == 1
    # The app applies it at start-up: the default slots are the cores, so one thread.
    if "SEGMENT_SLOTS" not in cache.os.environ and "SEGMENT_THREADS" not in cache.os.environ:
        assert cache.kmeans_module.get_num_threads() == 1


def test_a_cleaned_overlay_is_not_the_last_step_picture(recorder, image):
    """A cleaned-up result keeps k-means' iterations: its overlay shows the cleaned labels,
    never the last iteration's picture (which shows k-means' own)."""
    from segmentation import visualize

    params = SegmentParams(k=3, color="lab", position_weight=0.3)
    cleaned = cache.cleaned_segmentation(image, params)
    assert not np.array_equal(cleaned.labels, cleaned.labels_at(cleaned.n_iter))  # it cleaned
    shown = cache.overlay_jpeg(image, cache.cleaned_key(params), cleaned, cache.DEFAULT_ALPHA)
    expected = cache.encode_jpeg(visualize.overlay(
        image.image, cleaned.labels, cache.DEFAULT_ALPHA, colors=visualize.segment_colors(3)))
    assert shown == expected


def test_alt_text_counts_the_labels_shown(recorder, image):
    """The alt text of the result counts its (cleaned) labels; of an iteration, that
    iteration's k-means labels."""
    from ui.views import segments_alt

    params = SegmentParams(k=3, color="lab", position_weight=0.3)
    cleaned = cache.cleaned_segmentation(image, params)

    def shares(labels):
        counts = np.bincount(labels.ravel(), minlength=3)
        return [f"{100 * c / labels.size:.0f} %" for c in counts]

    for text, labels in ((segments_alt(cleaned), cleaned.labels),
                         (segments_alt(cleaned, cleaned.n_iter), cleaned.labels_at(cleaned.n_iter))):
        assert [part.split(", ")[-1].removesuffix(" of the picture")
                for part in text.split("; ")] == shares(labels)
    assert shares(cleaned.labels) != shares(cleaned.labels_at(cleaned.n_iter))
