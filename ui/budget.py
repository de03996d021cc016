"""Bounded resources for a class on one server: a byte-budgeted cache, k-means slots, work limits.

Streamlit runs every session's script in a thread of one process, so thirty
students share its memory and its cores. Three mechanisms keep that bounded
(no Streamlit here: :mod:`ui.cache` wires them to the pages):

* :class:`BudgetedCache`: an LRU cache bounded by the **bytes** of what it
  holds, not by a count of entries (a k-means result can weigh 0.1 MB or
  100 MB depending on the picture and the iterations). Concurrent requests for
  the same key compute once (*single flight*); the others wait for that
  result. Expected errors (the student's settings cannot run) are cached too,
  so a rerun does not repeat the work that failed.
* :class:`ComputeSlots`: at most ``n`` heavy computations at once per process,
  first come first served; the others wait in a queue and can tell the
  student how many runs are ahead of theirs, instead of everybody slowing
  down together.
* :func:`iteration_limit`: how many iterations a run may keep at a given
  picture size, so no link can ask for a result of hundreds of megabytes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

__all__ = ["BudgetedCache", "CacheStats", "ComputeSlots", "iteration_limit", "nbytes"]

T = TypeVar("T")
# How often a waiting thread wakes up to report (queue position, "still running").
POLL_S = 0.5


def nbytes(value: object) -> int:
    """Bytes held by ``value``: its arrays, bytes and nested containers (estimated).

    NumPy arrays count their ``nbytes`` (views count their base once per
    appearance, an overestimate that keeps budgets safe), ``bytes`` and ``str``
    their length, dataclasses, tuples, lists and dicts the sum of their parts;
    anything else 64 bytes.

    Examples
    --------
    >>> nbytes((np.zeros(10, np.uint8), b"abc", [np.zeros((2, 2))]))
    45
    """
    seen: set[int] = set()

    def size(obj: object) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            return int(obj.nbytes)
        if isinstance(obj, (bytes, bytearray, str)):
            return len(obj)
        if isinstance(obj, dict):
            return sum(size(k) + size(v) for k, v in obj.items())
        if isinstance(obj, (tuple, list, set, frozenset)):
            return sum(size(item) for item in obj)
        fields = getattr(obj, "__dataclass_fields__", None)
        if fields is not None:
            return sum(size(getattr(obj, name)) for name in fields)
        return 64

    return size(value)


@dataclass(frozen=True)
class CacheStats:
    """What a :class:`BudgetedCache` holds now, and what it has done."""

    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int
    evictions: int


class _Failure:
    """A cached expected error: raised again on every hit."""

    def __init__(self, error: BaseException):
        self.error = error


class BudgetedCache(Generic[T]):
    """A thread-safe least-recently-used cache bounded by bytes, with single flight.

    Parameters
    ----------
    max_bytes : int
        Most bytes of values kept (measured by ``sizeof`` when stored). The
        least recently used entries are evicted to make room; a value larger
        than the whole budget is returned but not kept.
    ttl_s : float
        Seconds an entry may stay unused before it is dropped.
    sizeof : callable, optional
        Bytes of a value; :func:`nbytes` by default.
    cache_errors : tuple of exception types, optional
        Errors of ``compute`` that are kept (as failures of that key) and
        raised again on later calls, instead of computing again.

    Notes
    -----
    Single flight: while one thread computes a key, others asking for it
    wait for that result (calling ``on_wait`` every half second) rather than
    computing it again. If the computing thread fails with an error that is
    not cached (for example the student moved a slider and Streamlit stopped
    the run), one of the waiting threads computes instead.
    """

    def __init__(self, max_bytes: int, ttl_s: float, *,
                 sizeof: Callable[[object], int] = nbytes,
                 cache_errors: tuple[type[BaseException], ...] = ()):
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes!r}")
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s!r}")
        self.max_bytes = int(max_bytes)
        self.ttl_s = float(ttl_s)
        self._sizeof = sizeof
        self._cache_errors = cache_errors
        self._lock = threading.Lock()
        # key -> (value or _Failure, bytes, last use); ordered oldest use first
        self._entries: OrderedDict[Hashable, tuple[object, int, float]] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[Hashable, threading.Event] = {}
        self._hits = self._misses = self._evictions = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T],
                       on_wait: Callable[[], None] | None = None) -> T:
        """The value of ``key``: from the cache, from another thread computing it, or computed.

        Parameters
        ----------
        key : hashable
            What the value depends on.
        compute : callable
            Computes the value when nobody has.
        on_wait : callable, optional
            Called about every half second while another thread computes
            ``key`` (to show "being computed"; it may raise to give up waiting).

        Raises
        ------
        Exception
            What ``compute`` raised; for ``cache_errors``, also on later calls.
        """
        while True:
            with self._lock:
                found = self._lookup(key)
                if found is not None:
                    self._hits += 1
                    return self._unwrap(found)
                event = self._inflight.get(key)
                if event is None:  # nobody computes it: this thread will
                    event = self._inflight[key] = threading.Event()
                    self._misses += 1
                    break
            # Another thread computes it: wait for it, then look again.
            while not event.wait(POLL_S):
                if on_wait is not None:
                    on_wait()
        try:
            value = compute()
        except self._cache_errors as error:
            self._store(key, _Failure(error))
            raise
        except BaseException:
            with self._lock:  # not kept: a waiting thread will compute instead
                self._inflight.pop(key, None)
            event.set()
            raise
        self._store(key, value)
        return value

    def peek(self, key: Hashable) -> tuple[bool, object]:
        """``(True, value)`` if ``key`` is cached now, else ``(False, None)``; never computes.

        Raises the cached error of a kept failure, as :meth:`get_or_compute` would.
        """
        with self._lock:
            found = self._lookup(key)
            if found is None:
                return False, None
            self._hits += 1
            return True, self._unwrap(found)

    def _lookup(self, key: Hashable) -> object | None:
        """The entry's value (refreshed as most recent), or None; with the lock held."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, size, last_use = entry
        now = time.monotonic()
        if now - last_use > self.ttl_s:
            del self._entries[key]
            self._bytes -= size
            return None
        self._entries[key] = (value, size, now)
        self._entries.move_to_end(key)
        return value

    @staticmethod
    def _unwrap(value: object):
        if isinstance(value, _Failure):
            raise value.error
        return value

    def _store(self, key: Hashable, value: object) -> None:
        """Keep ``value`` (evicting the least recently used), release the waiting threads."""
        size = 256 if isinstance(value, _Failure) else max(int(self._sizeof(value)), 1)
        with self._lock:
            event = self._inflight.pop(key, None)
            if size <= self.max_bytes:
                old = self._entries.pop(key, None)
                if old is not None:
                    self._bytes -= old[1]
                self._expire(time.monotonic())
                while self._bytes + size > self.max_bytes and self._entries:
                    _, (_, evicted, _) = self._entries.popitem(last=False)
                    self._bytes -= evicted
                    self._evictions += 1
                self._entries[key] = (value, size, time.monotonic())
                self._bytes += size
        if event is not None:
            event.set()

    def _expire(self, now: float) -> None:
        """Drop entries unused for longer than the ttl; with the lock held."""
        for key in [key for key, (_, _, used) in self._entries.items() if now - used > self.ttl_s]:
            self._bytes -= self._entries.pop(key)[1]

    def stats(self) -> CacheStats:
        """Entries and bytes held now; hits, misses and evictions so far."""
        with self._lock:
            return CacheStats(len(self._entries), self._bytes, self.max_bytes,
                              self._hits, self._misses, self._evictions)

    def clear(self) -> None:
        """Forget every entry (computations in flight finish and are kept)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class ComputeSlots:
    """At most ``n`` heavy computations at once; the others queue, first come first served.

    Parameters
    ----------
    n : int
        Computations allowed at once (about one per core of the process).

    Examples
    --------
    >>> slots = ComputeSlots(1)
    >>> with slots.slot():
    ...     slots.running
    1
    """

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n!r}")
        self.n = int(n)
        self._cond = threading.Condition()
        self._running = 0
        self._queue: deque[object] = deque()
        self._held = threading.local()  # slots held by the current thread (re-entry)

    @property
    def running(self) -> int:
        """Computations holding a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Computations queued now."""
        return len(self._queue)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold a slot for the ``with`` block, queueing first if all are taken.

        ``on_wait(ahead)`` is called when the wait begins and about every half
        second after, with the number of computations ahead of this one
        (running ones included); it may raise (for example when the student
        changed the settings meanwhile) to leave the queue. A thread that
        already holds a slot enters at once: nested computations never wait
        for themselves.
        """
        held = getattr(self._held, "count", 0)
        if held:
            self._held.count = held + 1
            try:
                yield
            finally:
                self._held.count = held
            return
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
        acquired = False
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket and self._running < self.n:
                        self._queue.popleft()
                        self._running += 1
                        acquired = True
                        self._held.count = 1
                        break
                    ahead = self._running + self._queue.index(ticket)
                if on_wait is not None:
                    on_wait(ahead)  # outside the lock: it may draw, or raise
                with self._cond:
                    if not (self._queue[0] is ticket and self._running < self.n):
                        self._cond.wait(POLL_S)
            yield
        finally:
            with self._cond:
                if acquired:
                    self._held.count = 0
                    self._running -= 1
                else:
                    self._queue.remove(ticket)
                self._cond.notify_all()


def iteration_limit(n_pixels: int, max_iter: int, budget: int) -> int:
    """The most iterations a run on ``n_pixels`` pixels may keep, at most ``max_iter``.

    A result keeps the labels of every iteration (one byte per pixel per
    iteration for up to 256 segments), so ``n_pixels * (iterations + 1)``
    is bounded by ``budget``; at least one iteration is always allowed.

    Examples
    --------
    >>> iteration_limit(1000, 300, budget=101_000)
    100
    >>> iteration_limit(1000, 50, budget=101_000)
    50
    """
    if n_pixels < 1:
        raise ValueError(f"n_pixels must be positive, got {n_pixels!r}")
    return max(1, min(int(max_iter), budget // n_pixels - 1))
