"""A search run's lifecycle: build, loop, ledger, checkpoint, replay, signals.

Where things are:
- `build`: components from a config, the run directory claimed, resume, `run_search`/`run_loop`.
- `loop`: `SearchLoop`, the step engine (ask -> identify -> evaluate -> tell -> track -> write).
- `reports`: each step's scalars, the run's summary, the ledger table at the end (trackers).
- `cache`: results by architecture identity (exact isomorphism behind approximate hashes).
- `ledger`: ledger.jsonl's one line schema, writer and verifying reader (digest chain).
- `checkpoint`: checkpoint.pt's encoding, atomic writing, reading and validation.
- `resume`: a loop's checkpoint state and its restoration; `replay`: the ledger lines after it.
- `runconfig`: the config identity a resume must keep; `rundir`: the directory and its lock.
- `signals`: SIGINT/SIGTERM handling and exit statuses.
"""

from graphnas.search.build import (
    build_evaluator,
    build_search,
    resume_search,
    run_loop,
    run_search,
)
from graphnas.search.cache import Proposal, ResultCache
from graphnas.search.checkpoint import CheckpointStateError, load_checkpoint, save_checkpoint
from graphnas.search.ledger import LedgerEntry, LedgerWriter, read_ledger
from graphnas.search.loop import DEFAULT_STALL_LIMIT, LoopCounters, SearchLoop
from graphnas.search.replay import ReplayMismatchError
from graphnas.search.runconfig import RESUMABLE_KEYS, config_identity
from graphnas.search.rundir import RunDir, RunLock
from graphnas.search.signals import STOP_SIGNALS, SearchInterrupted, exit_status
from graphnas.seeding import component_seed

__all__ = [
    "DEFAULT_STALL_LIMIT",
    "RESUMABLE_KEYS",
    "STOP_SIGNALS",
    "CheckpointStateError",
    "LedgerEntry",
    "LedgerWriter",
    "LoopCounters",
    "Proposal",
    "ReplayMismatchError",
    "ResultCache",
    "RunDir",
    "RunLock",
    "SearchInterrupted",
    "SearchLoop",
    "build_evaluator",
    "build_search",
    "component_seed",
    "config_identity",
    "exit_status",
    "load_checkpoint",
    "read_ledger",
    "resume_search",
    "run_loop",
    "run_search",
    "save_checkpoint",
]
