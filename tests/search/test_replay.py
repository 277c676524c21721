"""Replay on its own: the ledger lines after a checkpoint answer proposals in order, and the
first proposal that is not the next recorded one (hash or step) refuses the resume."""

from __future__ import annotations

import pytest

from graphnas.evaluators.base import EvalResult
from graphnas.search.ledger import LedgerEntry
from graphnas.search.replay import Replay, ReplayMismatchError


def entry(line: int, digest: str, step: int, reward: float) -> LedgerEntry:
    return LedgerEntry(line, line, step, digest, True, {}, EvalResult(reward), f"d{line}")


LINES = [entry(4, "a", 2, 0.1), entry(5, "b", 2, 0.2), entry(6, "c", 3, 0.3)]


def test_lines_answer_their_proposals_in_order_then_the_replay_is_over() -> None:
    replay = Replay(LINES, "run/ledger.jsonl")
    assert replay and len(replay) == 3
    answers = [replay.answer("a", 2), replay.answer("b", 2), replay.answer("c", 3)]
    assert [(r.reward, e.line) for r, e in answers] == [(0.1, 4), (0.2, 5), (0.3, 6)]
    assert not replay and len(replay) == 0
    assert not Replay()


@pytest.mark.parametrize(("digest", "step"), [("b", 2), ("a", 3)], ids=["hash", "step"])
def test_a_proposal_other_than_the_next_line_refuses_the_resume(digest: str, step: int) -> None:
    replay = Replay(LINES, "run/ledger.jsonl")
    with pytest.raises(ReplayMismatchError) as refused:
        replay.answer(digest, step)
    message = str(refused.value)
    assert message.startswith("run/ledger.jsonl: line 4 records a at step 2, but the resumed")
    assert f"proposed {digest} at step {step}" in message and "\n" not in message
