"""Helpers of the search tests: small real runs on the NB201 table and their files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from graphnas.config import load_search_config
from graphnas.search import run_search
from graphnas.search.ledger import chain_start, line_digest
from graphnas.search.runconfig import config_identity

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
QUIET = ["progress=false", "tracking.backends=[]"]


def finished_run(root: Path, *extra: str, name: str = "run") -> Path:
    """A finished random search of 8 queries in `root / name`."""
    out = root / name
    args = [f"out={out}", "budget.queries=8", "strategy=random", "seed=0", *QUIET, *extra]
    run_search(load_search_config(EXPERIMENT, args))
    return out


def directory_bytes(run: Path) -> dict[str, bytes]:
    """Every file of a run directory (recursively) by relative path."""
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def copy_truncated(run: Path, target: Path, lines: int) -> Path:
    """A copy of `run` as if killed after `lines` ledger lines, before its first checkpoint."""
    target.mkdir()
    shutil.copy(run / "config.yaml", target / "config.yaml")
    kept = (run / "ledger.jsonl").read_text().splitlines(keepends=True)[:lines]
    (target / "ledger.jsonl").write_text("".join(kept))
    return target


def ledger(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "ledger.jsonl").read_text().splitlines()]


def write_ledger(run: Path, lines: list[dict], rechain: bool = False) -> None:
    """Write `lines` as the ledger; with `rechain` their digests are recomputed from the run's
    config, as a forger who knows the format would (so only replay can tell)."""
    if rechain:
        previous = chain_start(config_identity(load_search_config(run / "config.yaml")))
        for line in lines:
            line["digest"] = line_digest(previous, line)
            previous = line["digest"]
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    (run / "ledger.jsonl").write_text(text)
