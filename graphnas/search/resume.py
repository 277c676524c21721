"""A loop's checkpoint state, and a loop restored from a checkpoint and its verified ledger.

`loop_state` is what checkpoint.pt holds (`graphnas.search.checkpoint` writes and validates it);
`restore_loop` puts a freshly built loop back where that state and the ledger leave it: the
lines the checkpoint covers fill the cache (their digest chain must end at the checkpoint's
`ledger_digest`), the lines after it are replayed (`graphnas.search.replay`), and the strategy,
a stateful evaluator, the proposals in progress and the global RNGs get their saved states.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphnas.errors import GraphnasError, InputFileError
from graphnas.evaluators.base import evaluator_state, restore_evaluator_state
from graphnas.graph import ArchGraph
from graphnas.search.ledger import LedgerEntry
from graphnas.search.replay import Replay
from graphnas.seeding import global_rng_states, set_global_rng_states

if TYPE_CHECKING:
    from graphnas.search.loop import SearchLoop


def loop_state(loop: SearchLoop) -> dict[str, Any]:
    """Everything `restore_loop` needs besides the ledger."""
    proposals = loop.proposals
    return {
        "config": loop.config,
        "counters": dataclasses.asdict(loop.counters),
        "proposals": None if proposals is None else [a.to_dict() for a in proposals],
        "strategy": loop.strategy.state_dict(),
        "evaluator": evaluator_state(loop.evaluator),
        "rng": global_rng_states(),
        "timing": dict(loop.timing),
        "stopped": loop.stopped,
    }


def restore_loop(
    loop: SearchLoop, state: dict[str, Any] | None, entries: Sequence[LedgerEntry], source: Path
) -> None:
    """Continue `loop` from a checkpoint `state` (None: from the start) and the verified ledger
    `entries`. Raises InputFileError naming `source` when they do not fit together, or the
    strategy or evaluator state does not fit."""
    counters = type(loop.counters)(ledger_digest=loop.counters.ledger_digest)
    if state is not None:
        fields = {f.name for f in dataclasses.fields(counters)}
        counters = type(counters)(**{k: v for k, v in state["counters"].items() if k in fields})
    covered = list(entries[: counters.queries])
    if len(covered) < counters.queries:
        raise InputFileError(
            f"{source}: records {counters.queries} evaluations but the ledger holds only "
            f"{len(entries)}"
        )
    if covered and covered[-1].digest != counters.ledger_digest:
        raise InputFileError(f"{source}: does not match the ledger (another run's files?)")
    for entry in covered:
        arch = None if entry.exact else ArchGraph.from_dict(entry.arch, source=str(source))
        loop.cache.add(entry.hash, entry.result, arch, entry.exact)
    loop.counters = counters
    ledger = loop.run_dir.ledger if loop.run_dir is not None else "ledger"
    loop.replay = Replay(entries[counters.queries :], ledger)
    if state is not None:
        _restore_states(loop, state, source)


def _restore_states(loop: SearchLoop, state: dict[str, Any], source: Path) -> None:
    try:
        loop.strategy.load_state_dict(state["strategy"])
        restore_evaluator_state(loop.evaluator, state.get("evaluator"))
    except GraphnasError:
        raise
    except Exception as err:  # a state another strategy or version wrote
        raise InputFileError(
            f"{source}: the strategy state does not fit this strategy ({type(err).__name__}: {err})"
        ) from None
    try:
        proposals = state.get("proposals")
        if proposals is not None:
            proposals = [ArchGraph.from_dict(a, source=str(source)) for a in proposals]
        set_global_rng_states(state["rng"])
    except GraphnasError:
        raise
    except Exception as err:  # hand-made or damaged contents that passed the format checks
        raise InputFileError(
            f"{source}: malformed search checkpoint ({type(err).__name__}: {err})"
        ) from None
    loop.proposals = proposals
    loop.timing.update({k: float(v) for k, v in state["timing"].items() if k in loop.timing})
    stopped = state.get("stopped")
    loop.stopped = None if stopped is None or stopped.startswith("interrupted") else stopped
