"""A long session, reduced for CI (marker ``load``): ``bench/soak.py``.

One protocol-level session against its own ``streamlit run app.py`` with a
24 MB k-means results budget (so a few changes fill it): parameter changes
that each make a new result, then uploads of photo-sized JPEGs sent as the
browser sends them. Every run must show the statistics of the k asked for,
no exception element, and the server's memory after the uploads must stay
within 200 MB of where it was once the caches were full. The full run (100
changes to fill, 200 changes, 50 uploads, the app's budget) is bench/soak.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.load


@pytest.fixture(scope="module")
def soak():
    path = Path(__file__).resolve().parents[1] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("bench_soak", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_photos_differ_and_are_photo_sized(soak):
    first, second = soak.photo(0), soak.photo(1)
    assert first != second and len(first) > 500_000


def test_a_long_session_with_uploads_stays_within_its_memory(soak, capsys):
    status = soak.main(["--fill", "6", "--changes", "12", "--uploads", "6",
                        "--results-mb", "24", "--features-mb", "16"])
    report = capsys.readouterr().out
    print(report)
    assert "growth over the filled caches" in report
    assert status == 0, report
