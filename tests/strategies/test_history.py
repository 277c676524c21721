"""History: one entry per canonical hash, the cdf reward, the top-K, state round trip."""

from __future__ import annotations

import math

import pytest

from graphnas.evaluators.base import EvalResult
from graphnas.spaces import load_space
from graphnas.strategies.history import History

NB201 = load_space("nb201")
CELLS = list(NB201.enumerate())[:6]


def test_repeats_of_a_hash_are_dropped_and_pending_hashes_count_as_known() -> None:
    history = History(NB201)
    history.pending.add(history.hash(CELLS[0]))
    assert history.known(history.hash(CELLS[0])) and not history.known(history.hash(CELLS[1]))
    new = history.record([CELLS[0], CELLS[0], CELLS[1]], [EvalResult(1.0)] * 3)
    assert [e.arch for e in new] == [CELLS[0], CELLS[1]] and len(history) == 2
    assert not history.pending
    with pytest.raises(ValueError, match="2 architectures but 1 results"):
        history.record(CELLS[:2], [EvalResult(1.0)])


def test_rank_reward_is_the_fraction_of_successes_at_or_below() -> None:
    history = History(NB201)
    results = [EvalResult(3.0), EvalResult(1.0), EvalResult.failure("x"), EvalResult(2.0)]
    history.record(CELLS[:4], results)
    assert [history.rank_reward(r) for r in (1.0, 2.0, 3.0, 0.5)] == [1 / 3, 2 / 3, 1.0, 0.0]
    assert math.isnan(history.entries[2].reward) and not history.entries[2].ok


def test_top_is_best_first_and_earlier_entries_win_ties() -> None:
    history = History(NB201)
    history.record(CELLS[:4], [EvalResult(r) for r in (1.0, 5.0, 5.0, 2.0)])
    assert [e.arch for e in history.top(3)] == [CELLS[1], CELLS[2], CELLS[3]]


def test_state_round_trip_keeps_entries_ranks_and_pending() -> None:
    history = History(NB201)
    history.record(CELLS[:3], [EvalResult(1.0), EvalResult.failure("x"), EvalResult(2.0)])
    history.pending.add("abc")
    clone = History(NB201)
    clone.load_state_dict(history.state_dict())
    assert [(e.hash, e.ok) for e in clone.entries] == [(e.hash, e.ok) for e in history.entries]
    assert clone.pending == {"abc"} and clone.rank_reward(1.5) == history.rank_reward(1.5) == 0.5


def test_told_hashes_are_used_as_they_are_and_only_missing_ones_are_computed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    space = load_space("nb201")
    calls: list[object] = []
    canonical_id = space.canonical_id
    monkeypatch.setattr(space, "canonical_id", lambda a: calls.append(a) or canonical_id(a))
    history = History(space)
    history.pending.add("told-0")
    new = history.record(CELLS[:3], [EvalResult(1.0)] * 3, ["told-0", None, "told-0"])
    assert [e.hash for e in new] == ["told-0", NB201.canonical_hash(CELLS[1])]
    assert calls == [CELLS[1]] and not history.pending  # only the arch without a hash
    with pytest.raises(ValueError, match="2 architectures but 1 hashes"):
        history.record(CELLS[:2], [EvalResult(1.0)] * 2, ["x"])
