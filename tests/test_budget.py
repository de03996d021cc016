"""ui/budget.py: the byte-budgeted cache, the k-means slots and the iteration limit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ui.budget import BudgetedCache, ComputeSlots, iteration_limit, nbytes


def array(n_bytes: int) -> np.ndarray:
    return np.zeros(n_bytes, np.uint8)


# --------------------------------------------------------------------------- #
# nbytes
# --------------------------------------------------------------------------- #
def test_nbytes_counts_arrays_bytes_and_nested_containers():
    assert nbytes(array(100)) == 100
    assert nbytes(b"x" * 7) == 7
    assert nbytes({"a": array(10), "b": [array(5), (b"12",)]}) == 1 + 10 + 1 + 5 + 2
    shared = array(50)
    assert nbytes((shared, shared)) == 50  # the same object counts once


def test_nbytes_counts_a_segmentation_by_its_iterations():
    from segmentation import segment

    image = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    result = segment(image, 3, max_iter=5, tol=0)
    labels_bytes = sum(state.labels.nbytes for state in result.states)
    assert labels_bytes <= nbytes(result) <= labels_bytes + 100_000


# --------------------------------------------------------------------------- #
# BudgetedCache
# --------------------------------------------------------------------------- #
def test_cache_returns_the_stored_value_without_computing_again():
    cache = BudgetedCache(1000, 60)
    calls = []
    first = cache.get_or_compute("a", lambda: calls.append(1) or array(10))
    again = cache.get_or_compute("a", lambda: calls.append(1) or array(10))
    assert again is first and calls == [1]
    stats = cache.stats()
    assert (stats.entries, stats.bytes, stats.hits, stats.misses) == (1, 10, 1, 1)


def test_cache_evicts_least_recently_used_to_stay_within_bytes():
    cache = BudgetedCache(250, 60)
    for key in "abc":
        cache.get_or_compute(key, lambda: array(100))
    # a, b fit (200); c evicts a, the least recently used.
    assert cache.stats().bytes == 200 and cache.stats().evictions == 1
    calls = []
    cache.get_or_compute("b", lambda: calls.append("b") or array(100))  # b is now most recent
    cache.get_or_compute("d", lambda: array(100))  # evicts c, not b
    cache.get_or_compute("b", lambda: calls.append("b") or array(100))
    cache.get_or_compute("c", lambda: calls.append("c") or array(100))
    assert calls == ["c"]
    assert cache.stats().bytes <= 250


def test_cache_does_not_keep_a_value_larger_than_the_budget():
    cache = BudgetedCache(50, 60)
    assert cache.get_or_compute("big", lambda: array(100)).nbytes == 100
    assert cache.stats().entries == 0 and cache.stats().bytes == 0


def test_cache_drops_entries_unused_for_longer_than_the_ttl(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache = BudgetedCache(1000, ttl_s=10)
    cache.get_or_compute("a", lambda: array(10))
    now[0] += 11
    calls = []
    cache.get_or_compute("a", lambda: calls.append(1) or array(10))
    assert calls == [1]


def test_cache_keeps_expected_errors_and_raises_them_again():
    cache = BudgetedCache(1000, 60, cache_errors=(KeyError,))
    calls = []

    def fails():
        calls.append(1)
        raise KeyError("too few distinct pixels")

    for _ in range(3):
        with pytest.raises(KeyError, match="too few"):
            cache.get_or_compute("k=12", fails)
    assert calls == [1]


def test_peek_finds_values_and_kept_failures_without_computing():
    cache = BudgetedCache(1000, 60, cache_errors=(KeyError,))
    assert cache.peek("a") == (False, None)
    value = cache.get_or_compute("a", lambda: array(4))
    found, peeked = cache.peek("a")
    assert found and peeked is value
    with pytest.raises(KeyError):
        cache.get_or_compute("bad", lambda: (_ for _ in ()).throw(KeyError("k too large")))
    with pytest.raises(KeyError, match="k too large"):
        cache.peek("bad")
    assert cache.stats().misses == 2  # peeking never computes


def test_cache_does_not_keep_other_errors():
    cache = BudgetedCache(1000, 60, cache_errors=(KeyError,))
    calls = []

    def fails():
        calls.append(1)
        raise RuntimeError("interrupted")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            cache.get_or_compute("a", fails)
    assert calls == [1, 1]
    assert cache.get_or_compute("a", lambda: array(3)).nbytes == 3


def test_concurrent_requests_for_one_key_compute_once():
    cache = BudgetedCache(1000, 60)
    started, release = threading.Event(), threading.Event()
    calls, results, waits = [], [], []

    def compute():
        calls.append(1)
        started.set()
        release.wait(5)
        return array(10)

    def ask():
        results.append(cache.get_or_compute("same", compute, on_wait=lambda: waits.append(1)))

    threads = [threading.Thread(target=ask) for _ in range(5)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.7)  # the followers wait (and report waiting) while the leader computes
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [1]
    assert len(results) == 5 and all(r is results[0] for r in results)
    assert waits  # on_wait was called while waiting


def test_a_follower_computes_when_the_leader_is_interrupted():
    cache = BudgetedCache(1000, 60)
    started = threading.Event()
    outcome = {}

    def interrupted():
        started.set()
        time.sleep(0.2)
        raise RuntimeError("the student moved the slider")

    def leader():
        with pytest.raises(RuntimeError):
            cache.get_or_compute("a", interrupted)

    thread = threading.Thread(target=leader)
    thread.start()
    started.wait(5)
    outcome["value"] = cache.get_or_compute("a", lambda: array(7))
    thread.join(5)
    assert outcome["value"].nbytes == 7


@pytest.mark.parametrize("bad", [{"max_bytes": 0, "ttl_s": 1}, {"max_bytes": 1, "ttl_s": 0}])
def test_cache_rejects_empty_budgets(bad):
    with pytest.raises(ValueError, match=next(iter(k for k, v in bad.items() if v == 0))):
        BudgetedCache(**bad)


# --------------------------------------------------------------------------- #
# ComputeSlots
# --------------------------------------------------------------------------- #
def test_slots_run_at_most_n_at_once_and_report_the_queue():
    slots = ComputeSlots(2)
    peak, lock = [0], threading.Lock()
    reports: dict[int, list[int]] = {}
    order = []

    def work(i):
        def on_wait(ahead):
            reports.setdefault(i, []).append(ahead)

        with slots.slot(on_wait):
            with lock:
                order.append(i)
                peak[0] = max(peak[0], slots.running)
            time.sleep(0.3)

    threads = []
    for i in range(5):
        threads.append(threading.Thread(target=work, args=(i,)))
        threads[-1].start()
        time.sleep(0.05)  # arrive in order 0..4
    for thread in threads:
        thread.join(10)
    assert peak[0] == 2
    assert order == [0, 1, 2, 3, 4]  # first come, first served
    assert 0 not in reports and 1 not in reports  # free slots: no wait
    assert reports[2][0] == 2 and reports[4][0] == 4  # running ones + queued ahead
    assert reports[4][-1] < reports[4][0]  # the count goes down while waiting
    assert slots.running == 0 and slots.waiting == 0


def test_leaving_the_queue_frees_the_place():
    slots = ComputeSlots(1)
    release = threading.Event()

    def hold():
        with slots.slot():
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)

    class Gone(Exception):
        pass

    def give_up(ahead):
        raise Gone

    with pytest.raises(Gone):
        with slots.slot(give_up):
            pass
    assert slots.waiting == 0
    release.set()
    holder.join(5)
    with slots.slot():  # the slot is free again
        assert slots.running == 1
    assert slots.running == 0


def test_a_thread_holding_a_slot_enters_nested_slots_at_once():
    slots = ComputeSlots(1)
    with slots.slot():
        with slots.slot(lambda ahead: pytest.fail("a nested slot must not queue")):
            assert slots.running == 1
        assert slots.running == 1
    assert slots.running == 0 and slots.waiting == 0


def test_slots_reject_zero():
    with pytest.raises(ValueError, match="n must be at least 1"):
        ComputeSlots(0)


# --------------------------------------------------------------------------- #
# iteration_limit
# --------------------------------------------------------------------------- #
def test_iteration_limit_keeps_pixels_times_iterations_within_the_budget():
    budget = 1024 * 1024 * 101
    assert iteration_limit(1024 * 1024, 100, budget) == 100  # the default fits at 1 MP
    assert iteration_limit(1024 * 1024, 300, budget) == 100
    assert iteration_limit(512 * 512, 300, budget) == 300
    assert iteration_limit(10**9, 300, budget) == 1  # always at least one
    with pytest.raises(ValueError, match="n_pixels"):
        iteration_limit(0, 10, budget)
