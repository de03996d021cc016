"""Predict-then-run checkpoints: the questions, the students' attempts, their progress.

A *checkpoint* asks a student to predict what an experiment will show, then
runs it and says whether the prediction was right. This module keeps what a
later "class mode" (a teacher's class code, a database, a leaderboard) needs
to report, and nothing about how a page draws a question:

* :class:`Checkpoint`, a frozen question: a stable ``id``, the ``page`` (its
  ``url_path``) that asks it, the question, its choices and the index of the
  choice the experiment supports;
* :class:`Attempt`, one answered prediction: what the student chose, whether
  it matched the *measured* outcome, the measured value and when;
* :func:`score`, :func:`summarize`, :func:`to_json` / :func:`attempts_from_json`:
  pure functions, no Streamlit, unit-tested in ``tests/test_checkpoints.py``;
* :func:`record`, :func:`attempts`, :func:`first_attempt`, :func:`progress`:
  the same over the session, kept as plain dicts (JSON-ready) in
  ``st.session_state`` under the one private key :data:`SESSION_KEY`.

A prediction is scored against what the experiment *measured* (the choice
its result supports), not against a constant, so the page never claims an
answer its own run contradicts. Only a checkpoint's **first** attempt is
scored: after the run the student has seen the answer.

Any page may ask checkpoints through this module; ids are
``"<url_path>.<name>"`` (``"lesson.position_weight"``), so they never collide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

__all__ = ["SCHEMA", "SESSION_KEY", "Attempt", "Checkpoint", "attempts", "attempts_from_json",
           "first_attempt", "progress", "record", "score", "summarize", "to_json"]

SESSION_KEY = "_checkpoints"  # st.session_state[SESSION_KEY]: list of Attempt dicts, in order
SCHEMA = "kmeans-checkpoints/1"  # named in every summary, for whoever reads them later


@dataclass(frozen=True)
class Checkpoint:
    """One predict-then-run question.

    Raises
    ------
    ValueError
        If ``id`` is not ``"<page>.<name>"``, there are fewer than two
        choices, two choices are equal, or ``answer`` is not a choice's index.

    Examples
    --------
    >>> q = Checkpoint("lesson.k", "lesson", "Inertia as k grows?", ("falls", "rises"), 0)
    >>> q.choice_text(0), q.is_right(1)
    ('falls', False)
    """

    id: str  # "<page>.<name>", stable: stored attempts refer to it
    page: str  # url_path of the page that asks it ("lesson")
    question: str  # the question, Markdown
    choices: tuple[str, ...]  # the predictions offered, in order
    answer: int  # index of the choice the lesson expects the experiment to support
    experiment: str = ""  # what the run does, in one sentence (shown before running)
    link: str = ""  # the page script that shows it in depth ("app_pages/compare.py")

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(str(c) for c in self.choices))
        if not self.id.startswith(f"{self.page}.") or len(self.id) <= len(self.page) + 1:
            raise ValueError(f"id={self.id!r} must be '{self.page}.<name>' (page={self.page!r})")
        if len(self.choices) < 2 or len(set(self.choices)) != len(self.choices):
            raise ValueError(f"choices={self.choices!r} must be at least two different choices")
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"answer={self.answer!r} must be a choice index, "
                             f"0 to {len(self.choices) - 1}")

    def choice_text(self, index: int) -> str:
        """The text of choice ``index``."""
        return self.choices[self._index(index)]

    def is_right(self, prediction: int) -> bool:
        """Whether ``prediction`` is the lesson's expected answer."""
        return self._index(prediction) == self.answer

    def _index(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index < len(self.choices):
            raise ValueError(f"choice index {index!r} must be an int from 0 to "
                             f"{len(self.choices) - 1} for checkpoint {self.id!r}")
        return index


@dataclass(frozen=True)
class Attempt:
    """A student's prediction for one checkpoint and what the run measured."""

    checkpoint_id: str  # Checkpoint.id
    prediction: int  # index of the chosen prediction
    measured_choice: int  # index of the choice the measured result supports
    correct: bool  # prediction == measured_choice
    measured: str  # the measured result in words and numbers, as shown
    value: float | None  # the headline number measured (None if there is none)
    time: str  # when it was answered, ISO 8601 in UTC ("2025-01-01T09:00:00+00:00")

    def to_dict(self) -> dict:
        """A JSON-ready dict (the form kept in the session)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Attempt:
        """The attempt of :meth:`to_dict` (unknown keys are an error).

        Raises
        ------
        ValueError
            If a field is missing or unknown, or ``correct`` does not match
            the prediction and the measured choice.
        """
        fields = set(cls.__dataclass_fields__)
        if set(data) != fields:
            raise ValueError(f"an attempt needs exactly the fields {sorted(fields)}, "
                             f"got {sorted(data)}")
        value = data["value"]
        attempt = cls(str(data["checkpoint_id"]), int(data["prediction"]),
                      int(data["measured_choice"]), bool(data["correct"]),
                      str(data["measured"]), None if value is None else float(value),
                      str(data["time"]))
        if attempt.correct != (attempt.prediction == attempt.measured_choice):
            raise ValueError(f"attempt of {attempt.checkpoint_id!r}: correct={attempt.correct} "
                             "does not match its prediction and measured choice")
        return attempt


def score(checkpoint: Checkpoint, prediction: int, measured_choice: int, *, measured: str = "",
          value: float | None = None, now: datetime | None = None) -> Attempt:
    """The attempt of one prediction, right when it is the choice the run measured.

    Parameters
    ----------
    checkpoint : Checkpoint
    prediction : int
        Index of the student's choice.
    measured_choice : int
        Index of the choice the experiment's result supports.
    measured : str, optional
        The result as shown to the student.
    value : float, optional
        The headline number of the result.
    now : datetime, optional
        When (default: now, UTC); a naive datetime is taken as UTC.

    Raises
    ------
    ValueError
        If either index is not a choice of ``checkpoint``.

    Examples
    --------
    >>> q = Checkpoint("lesson.k", "lesson", "Inertia as k grows?", ("falls", "rises"), 0)
    >>> a = score(q, 1, 0, measured="falls from 9 to 2", value=2.0,
    ...           now=datetime(2025, 1, 1, 9, 0))
    >>> a.correct, a.time
    (False, '2025-01-01T09:00:00+00:00')
    """
    checkpoint.choice_text(prediction)  # validates both indices
    checkpoint.choice_text(measured_choice)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return Attempt(checkpoint.id, prediction, measured_choice, prediction == measured_choice,
                   str(measured), None if value is None else float(value),
                   now.astimezone(timezone.utc).isoformat(timespec="seconds"))


def _first_attempts(all_attempts: Iterable[Attempt]) -> dict[str, Attempt]:
    """checkpoint id -> its first attempt (the one that is scored)."""
    first: dict[str, Attempt] = {}
    for attempt in all_attempts:
        first.setdefault(attempt.checkpoint_id, attempt)
    return first


def summarize(checkpoints: Sequence[Checkpoint], all_attempts: Iterable[Attempt]) -> dict:
    """Progress through ``checkpoints`` as a JSON-serialisable dict.

    Only the first attempt of each checkpoint is scored; attempts at other
    checkpoints are ignored.

    Returns
    -------
    dict
        ``schema``; ``ids`` (in order), ``answered_ids``, ``correct_ids``;
        counts ``total``, ``answered``, ``correct``; and ``checkpoints``, one
        entry per checkpoint with its question, the prediction (index and
        text), whether it was right, the measured result and the time
        (``None`` where not answered).

    Examples
    --------
    >>> q = Checkpoint("lesson.k", "lesson", "Inertia as k grows?", ("falls", "rises"), 0)
    >>> s = summarize([q], [score(q, 0, 0), score(q, 1, 0)])
    >>> s["answered"], s["correct"], s["total"], s["checkpoints"][0]["attempts"]
    (1, 1, 1, 2)
    """
    all_attempts = list(all_attempts)
    first = _first_attempts(all_attempts)
    entries = []
    for checkpoint in checkpoints:
        attempt = first.get(checkpoint.id)
        entries.append({
            "id": checkpoint.id, "page": checkpoint.page, "question": checkpoint.question,
            "answered": attempt is not None,
            "prediction": None if attempt is None else attempt.prediction,
            "prediction_text": None if attempt is None
            else checkpoint.choice_text(attempt.prediction),
            "correct": None if attempt is None else attempt.correct,
            "measured": None if attempt is None else attempt.measured,
            "value": None if attempt is None else attempt.value,
            "time": None if attempt is None else attempt.time,
            "attempts": sum(a.checkpoint_id == checkpoint.id for a in all_attempts),
        })
    answered = [entry["id"] for entry in entries if entry["answered"]]
    correct = [entry["id"] for entry in entries if entry["correct"]]
    return {"schema": SCHEMA, "ids": [c.id for c in checkpoints], "answered_ids": answered,
            "correct_ids": correct, "total": len(entries), "answered": len(answered),
            "correct": len(correct), "checkpoints": entries}


def to_json(all_attempts: Iterable[Attempt],
            checkpoints: Sequence[Checkpoint] | None = None) -> str:
    """The attempts as a JSON document, read back with :func:`attempts_from_json`.

    With ``checkpoints``, the document also holds their :func:`summarize`
    (the "download my progress" file).
    """
    all_attempts = list(all_attempts)
    document = summarize(checkpoints, all_attempts) if checkpoints is not None else {}
    document.update({"schema": SCHEMA, "attempts": [a.to_dict() for a in all_attempts]})
    return json.dumps(document, indent=2)


def attempts_from_json(text: str) -> list[Attempt]:
    """The attempts of a :func:`to_json` document.

    Raises
    ------
    ValueError
        If the text is not JSON of this schema, or an attempt is malformed.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"not a checkpoints document of schema {SCHEMA!r}")
    return [Attempt.from_dict(item) for item in data["attempts"]]


# --------------------------------------------------------------------------- #
# The session (Streamlit): one private key, plain dicts
# --------------------------------------------------------------------------- #
def _session(state: MutableMapping | None) -> list[dict]:
    if state is None:
        import streamlit as st  # only here: the functions above stay free of Streamlit
        state = st.session_state
    if SESSION_KEY not in state:
        state[SESSION_KEY] = []
    return state[SESSION_KEY]


def record(checkpoint: Checkpoint, prediction: int, measured_choice: int, *, measured: str = "",
           value: float | None = None, state: MutableMapping | None = None) -> Attempt:
    """Score a prediction (:func:`score`) and keep it in the session; return the attempt.

    ``state`` defaults to ``st.session_state`` (a dict in tests).
    """
    attempt = score(checkpoint, prediction, measured_choice, measured=measured, value=value)
    _session(state).append(attempt.to_dict())
    return attempt


def attempts(state: MutableMapping | None = None) -> list[Attempt]:
    """Every attempt of this session, in order."""
    return [Attempt.from_dict(item) for item in _session(state)]


def first_attempt(checkpoint: Checkpoint, state: MutableMapping | None = None) -> Attempt | None:
    """The scored (first) attempt of ``checkpoint`` in this session, or None."""
    return _first_attempts(attempts(state)).get(checkpoint.id)


def progress(checkpoints: Sequence[Checkpoint], state: MutableMapping | None = None) -> dict:
    """:func:`summarize` over this session's attempts."""
    return summarize(checkpoints, attempts(state))
