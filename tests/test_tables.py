"""ui/tables.py and the statistics section: the table a student reads under the result."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from streamlit.testing.v1 import AppTest

from segmentation import SegmentStats
from ui.tables import statistics_frame, statistics_html

NAN = float("nan")
FULL = SegmentStats(0, 1234, 100.0, 0.25, (200, 10, 10), (3.0, 4.0))
EMPTIED = SegmentStats(1, 0, 0.0, NAN, (0, 0, 0), (NAN, NAN))


def rows(html: str) -> list[list[tuple[str, str | None]]]:
    """(text, style) of every body cell, row by row."""
    table = ET.fromstring(html).find("table")
    return [[(td.text, td.get("style")) for td in tr.iter("td")]
            for tr in table.find("tbody").iter("tr")]


def test_an_emptied_segment_shows_dashes_not_nan_or_black():
    html = statistics_html(statistics_frame([FULL, EMPTIED]))
    full, emptied = rows(html)
    assert "nan" not in html
    assert [text for text, _ in emptied] == ["sky blue", "1", "0", "0.0 %", "—", "—", "—", "—"]
    assert emptied[5][1] is None  # the mean colour cell is not painted black
    assert [text for text, _ in full][2:] == ["1,234", "100.0 %", "0.2500", "#c80a0a", "3.0",
                                              "4.0"]


def _section(statistics):
    import streamlit as st  # noqa: F401 - AppTest runs this function as a script

    from ui.views import statistics_section

    class Result:  # what statistics_section reads of a Segmentation
        pass

    result = Result()
    result.statistics = statistics
    statistics_section(result)


def test_the_section_says_which_segments_the_clean_up_emptied():
    app = AppTest.from_function(_section, args=((FULL, EMPTIED),)).run()
    assert not app.exception
    assert any("Segment 1 has no pixels left" in c.value for c in app.caption)
    app = AppTest.from_function(_section, args=((FULL,),)).run()
    assert not any("no pixels left" in c.value for c in app.caption)
