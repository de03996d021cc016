"""AppTest of The lesson (app_pages/lesson.py) through app.py's navigation.

The page must load, show the lesson's formulas, and run its predict-then-run
checkpoints: a run needs a prediction first, reveals the measured answer,
scores the prediction against it and counts it in the session's progress.
The experiments are cached in the process, shared by the tests as by a class.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import checkpoints
from ui.lesson_checkpoints import CHECKPOINTS, QUESTIONS

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a cold experiment runs k-means up to ~45 times on a busy machine
LESSON = "app_pages/lesson.py"


@pytest.fixture
def lesson() -> AppTest:
    """The lesson page, opened through the navigation; no exception allowed."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(LESSON).run()
    assert not at.exception, at.exception
    return at


def name_of(checkpoint_id: str) -> str:
    """'lesson.position_weight' -> 'position_weight', the middle of its widget keys."""
    return checkpoint_id.split(".", 1)[1]


def progress_text(at: AppTest) -> str:
    """The text of the progress bar."""
    return at.get("progress")[0].proto.text


def predict_and_run(at: AppTest, checkpoint_id: str, prediction: int) -> AppTest:
    """Choose ``prediction`` for a checkpoint, then press its run button."""
    name = name_of(checkpoint_id)
    at.radio(key=f"lesson_{name}_prediction").set_value(prediction).run()
    at.button(key=f"lesson_{name}_run").click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_loads_with_its_sections_and_formulas(lesson):
    assert lesson.title[0].value == "The lesson"
    assert [t.label for t in lesson.tabs] == ["1 · Segmentation", "2 · Five steps",
                                              "3 · Colour or position", "4 · Good practice",
                                              "5 · Limits", "6 · Deep learning"]
    formulas = [latex.value for latex in lesson.get("latex")]
    assert any(r"arg\,min" in f and r"\boldsymbol{\mu}_j" in f for f in formulas)  # assign
    assert any(r"\frac{1}{|S_j|}" in f for f in formulas)  # update: the mean
    assert any(f.strip("$\n").startswith("J = ") for f in formulas)  # inertia
    assert any(r"\lambda\,\mathbf{u}_p" in f for f in formulas)  # features with position weight
    assert progress_text(lesson) == f"0 of {len(CHECKPOINTS)} checkpoints answered, " \
                                    "0 predicted right"
    # At least five checkpoints, each with a radio that starts with no prediction.
    assert len(CHECKPOINTS) >= 5
    for cp in CHECKPOINTS:
        assert lesson.radio(key=f"lesson_{name_of(cp.id)}_prediction").value is None


def test_run_buttons_are_locked_until_a_prediction_is_chosen(lesson):
    for cp in CHECKPOINTS:
        assert lesson.button(key=f"lesson_{name_of(cp.id)}_run").disabled, cp.id
    lesson.radio(key="lesson_blue_discs_prediction").set_value(1).run()
    assert not lesson.button(key="lesson_blue_discs_run").disabled
    assert lesson.button(key="lesson_stuck_start_run").disabled  # the others stay locked


def test_a_right_prediction_reveals_the_answer_and_counts(lesson):
    at = predict_and_run(lesson, "lesson.blue_discs", 0)  # one segment: right
    assert progress_text(at) == f"1 of {len(CHECKPOINTS)} checkpoints answered, " \
                                "1 predicted right"
    assert any(s.value.startswith("You predicted **One segment") and "right" in s.value
               for s in at.success)
    assert any(m.value.startswith("**Measured.** Colour only") and "**one segment**" in m.value
               for m in at.markdown)
    # The radio is gone (the first prediction is the one scored); the link to the page is there.
    assert not any(r.key == "lesson_blue_discs_prediction" for r in at.radio)
    assert at.button(key="lesson_blue_discs_open")


def test_a_wrong_prediction_is_marked_wrong_with_the_measured_region_counts(lesson):
    # "It rises" is wrong on the cat: the counts are shown, weight 0 first, and really fall.
    at = predict_and_run(lesson, "lesson.position_weight", 2)
    assert progress_text(at) == f"1 of {len(CHECKPOINTS)} checkpoints answered, " \
                                "0 predicted right"
    errors = [e.value for e in at.error]
    assert errors == ["You predicted **It rises: more, smaller regions**; the run says "
                      "**It falls: fewer, bigger regions**."]
    measured = next(m.value for m in at.markdown if m.value.startswith("**Measured.**"))
    counts = re.findall(r"weight \*\*([\d.]+)\*\*: \*\*([\d,]+)\*\*", measured)
    assert [w for w, _ in counts] == ["0", "0.5"]
    before, after = (int(n.replace(",", "")) for _, n in counts)
    assert after < before  # measured, and in the order the answer states
    captions = [c for image in at.main.get("image") for c in image.captions]
    assert captions == [f"weight 0: {before:,} regions", f"weight 0.5: {after:,} regions"]


def test_the_progress_is_kept_for_the_session_and_downloadable(lesson):
    at = predict_and_run(lesson, "lesson.inertia_rises", 1)
    assert any("lesson_download_progress" in d.proto.id for d in at.get("download_button"))
    stored = at.session_state[checkpoints.SESSION_KEY]
    attempts = [checkpoints.Attempt.from_dict(item) for item in stored]
    summary = json.loads(checkpoints.to_json(attempts, CHECKPOINTS))  # the file's content
    assert summary["answered_ids"] == ["lesson.inertia_rises"]
    assert summary["correct_ids"] == ["lesson.inertia_rises"]
    assert summary["checkpoints"][0]["measured"].startswith("Over **5 runs**")
    # Another checkpoint adds to the same count.
    at = predict_and_run(at, "lesson.iterations", 0)
    assert progress_text(at).startswith(f"2 of {len(CHECKPOINTS)} checkpoints answered")


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.checkpoint.id)
def test_every_experiment_measures_the_answer_the_lesson_expects(lesson, q):
    # Fixed samples and seeds: the measured outcome is the documented answer, so a student
    # who predicts it is told they were right.
    at = predict_and_run(lesson, q.checkpoint.id, q.checkpoint.answer)
    assert any(s.value.startswith("You predicted") and s.value.endswith("right.")
               for s in at.success), q.checkpoint.id
    assert not at.error
