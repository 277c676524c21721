"""Replay of a resumed run's ledger: the lines recorded after its checkpoint answer the resumed
search's proposals, in order, instead of the evaluation pool.

A resumed search asks its strategy again; each new proposal must be the next recorded one (same
hash, same step) and is answered with that line's result, so the strategy is told exactly what
it was told before the kill. The first disagreement refuses the resume (`ReplayMismatchError`)
before anything was written: the loop writes no file while a replay is pending.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from pathlib import Path

from graphnas.errors import InputFileError
from graphnas.evaluators.base import EvalResult
from graphnas.search.ledger import LedgerEntry


class ReplayMismatchError(InputFileError):
    """The resumed search proposed something other than what the ledger recorded next."""


class Replay:
    """The ledger lines still to be answered from, in order."""

    def __init__(self, entries: Sequence[LedgerEntry] = (), ledger: Path | str = "ledger") -> None:
        self.entries: deque[LedgerEntry] = deque(entries)
        self.ledger = ledger

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def answer(self, digest: str, step: int) -> tuple[EvalResult, LedgerEntry]:
        """The next line, which must record `digest` at `step`, and its result."""
        entry = self.entries.popleft()
        if entry.hash != digest or entry.step != step:
            raise ReplayMismatchError(
                f"{self.ledger}: line {entry.line} records {entry.hash} at step {entry.step}, but "
                f"the resumed search proposed {digest} at step {step}; this run cannot be resumed "
                "exactly here (another graphnas/torch version or device, a nondeterministic "
                "strategy, or an edited ledger)"
            )
        return entry.result, entry
