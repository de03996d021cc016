"""ui/checkpoints.py: the checkpoint record, scoring, session recording and the JSON round trip.

Pure tests: the session is a plain dict (the functions take ``state=``),
no Streamlit runtime.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ui import checkpoints
from ui.checkpoints import SESSION_KEY, Attempt, Checkpoint


@pytest.fixture
def questions() -> tuple[Checkpoint, ...]:
    """Three checkpoints of one page."""
    return (Checkpoint("lesson.a", "lesson", "A?", ("up", "down"), 1),
            Checkpoint("lesson.b", "lesson", "B?", ("one", "two", "three"), 0),
            Checkpoint("lesson.c", "lesson", "C?", ("yes", "no"), 0))


def test_checkpoint_is_frozen_and_validated():
    # Frozen (stored attempts refer to its id), and a malformed question fails at once.
    q = Checkpoint("lesson.a", "lesson", "A?", ["up", "down"], 1)
    assert q.choices == ("up", "down")
    with pytest.raises(AttributeError):
        q.answer = 0
    with pytest.raises(ValueError, match="id='a'"):
        Checkpoint("a", "lesson", "A?", ("up", "down"), 0)
    with pytest.raises(ValueError, match="at least two different"):
        Checkpoint("lesson.a", "lesson", "A?", ("up", "up"), 0)
    with pytest.raises(ValueError, match="answer=2"):
        Checkpoint("lesson.a", "lesson", "A?", ("up", "down"), 2)


def test_score_compares_the_prediction_with_the_measured_choice(questions):
    # Right when the prediction is what the run measured, whatever the expected answer;
    # the time is UTC, ISO 8601.
    q = questions[0]
    when = datetime(2025, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    right = checkpoints.score(q, 0, 0, measured="went up", value=3, now=when)
    wrong = checkpoints.score(q, 1, 0, now=when)
    assert right.correct and not wrong.correct
    assert right.value == 3.0 and right.measured == "went up"
    assert right.time == "2025-03-04T08:30:00+00:00"
    with pytest.raises(ValueError, match="choice index 2"):
        checkpoints.score(q, 2, 0)
    with pytest.raises(ValueError, match="choice index True"):
        checkpoints.score(q, True, 0)


def test_record_keeps_plain_dicts_under_one_private_key(questions):
    # The session holds JSON-ready dicts, in order, under SESSION_KEY and nothing else.
    state: dict = {}
    checkpoints.record(questions[0], 1, 1, measured="fell", value=2.0, state=state)
    checkpoints.record(questions[1], 2, 0, state=state)
    assert list(state) == [SESSION_KEY]
    assert [a["checkpoint_id"] for a in state[SESSION_KEY]] == ["lesson.a", "lesson.b"]
    json.dumps(state[SESSION_KEY])  # serialisable as stored
    assert checkpoints.first_attempt(questions[0], state).correct
    assert checkpoints.first_attempt(questions[2], state) is None


def test_progress_counts_answered_and_right_first_attempts_only(questions):
    # Only a checkpoint's first attempt is scored: after the run the answer is known.
    state: dict = {}
    checkpoints.record(questions[0], 0, 1, state=state)  # wrong
    checkpoints.record(questions[0], 1, 1, state=state)  # right, but a second attempt
    checkpoints.record(questions[1], 0, 0, state=state)  # right
    checkpoints.record(Checkpoint("other.x", "other", "X?", ("p", "q"), 0), 0, 0, state=state)
    summary = checkpoints.progress(questions, state)
    assert summary["ids"] == ["lesson.a", "lesson.b", "lesson.c"]
    assert summary["answered_ids"] == ["lesson.a", "lesson.b"]
    assert summary["correct_ids"] == ["lesson.b"]
    assert (summary["total"], summary["answered"], summary["correct"]) == (3, 2, 1)
    first = summary["checkpoints"][0]
    assert first["prediction"] == 0 and first["prediction_text"] == "up"
    assert first["correct"] is False and first["attempts"] == 2
    assert summary["checkpoints"][2]["answered"] is False
    assert json.loads(json.dumps(summary)) == summary  # JSON-serialisable


def test_json_round_trip(questions):
    # to_json -> attempts_from_json gives back equal attempts; with checkpoints the
    # document is also the progress summary.
    state: dict = {}
    checkpoints.record(questions[0], 0, 1, measured="fell: 9 -> 2", value=2.0, state=state)
    checkpoints.record(questions[1], 2, 2, state=state)
    attempts = checkpoints.attempts(state)
    assert checkpoints.attempts_from_json(checkpoints.to_json(attempts)) == attempts
    document = checkpoints.to_json(attempts, questions)
    assert checkpoints.attempts_from_json(document) == attempts
    assert json.loads(document)["answered"] == 2 and json.loads(document)["correct"] == 1


def test_malformed_documents_are_rejected(questions):
    attempt = checkpoints.score(questions[0], 0, 0).to_dict()
    with pytest.raises(ValueError, match="schema"):
        checkpoints.attempts_from_json(json.dumps({"attempts": [attempt]}))
    with pytest.raises(ValueError, match="exactly the fields"):
        Attempt.from_dict({**attempt, "extra": 1})
    with pytest.raises(ValueError, match="does not match"):
        Attempt.from_dict({**attempt, "correct": False})
