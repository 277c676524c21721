"""What crash safety costs: a checkpoint, a fsynced ledger line, and replaying a ledger on resume.

    .venv/bin/python benchmarks/resume_cost.py [--queries 200] [--graphpnas-queries 30] [--json P]

NB201 table lookups (free evaluations, so the search's own costs are all there is to see),
`experiments/nb201.yaml` with random search, evolution (default options) and GraphPNAS (its
default options), one torch thread, seed 1.
Per strategy, in one process:
- `run s`: the search, checkpointing only at its end; `s/query` per query;
- `ckpt ms` / `ckpt KB`: one checkpoint write of the final state (strategy state_dict, encoding,
  torch.save, fsync, rename, directory fsync; median of 9) and its size; `ckpt/60s`: its share of
  the default interval (`checkpoint_every_s: 60`);
- `line ms`: appending one ledger line of that run with flush and fsync (median over its lines);
- `replay s`: resuming the run with its checkpoint deleted, so that the whole ledger is replayed
  into a fresh strategy (nothing is evaluated; the resumed ledger is checked to equal the
  original); `replay/run` is its ratio to the run. A resume replays only the lines after the
  last checkpoint, so this is the worst case for a run of that length.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
from record import add_json_option, write_record

from graphnas.config import load_search_config
from graphnas.search import resume_search, run_loop, run_search
from graphnas.search.ledger import LedgerWriter
from graphnas.strategies import STRATEGIES

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "nb201.yaml"
QUIET = ["progress=false", "tracking.backends=[]", "seed=1", "checkpoint_every_s=1e9"]


def median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def measure(root: Path, name: str, strategy: list[str], queries: int) -> dict[str, float]:
    run = root / name
    config = load_search_config(
        EXPERIMENT, [f"out={run}", f"budget.queries={queries}", *QUIET, *strategy]
    )
    start = time.perf_counter()
    run_search(config)
    run_s = time.perf_counter() - start

    finished = resume_search(run)  # the final state, ready to checkpoint again
    checkpoint_ms = median_ms(finished.save_checkpoint, 9)
    finished.pool.close()
    size_kb = (run / "checkpoint.pt").stat().st_size / 1024

    lines = [json.loads(line) for line in (run / "ledger.jsonl").read_text().splitlines()]
    writer = LedgerWriter(root / f"{name}-lines.jsonl")
    pending = iter(lines)
    line_ms = median_ms(lambda: writer.append(next(pending)), len(lines))
    writer.close()

    replay_dir = root / f"{name}-replay"
    shutil.copytree(run, replay_dir)
    (replay_dir / "checkpoint.pt").unlink()
    start = time.perf_counter()
    loop = resume_search(replay_dir)
    assert len(loop.replay) == queries
    run_loop(loop)
    replay_s = time.perf_counter() - start
    original = (run / "ledger.jsonl").read_text().splitlines()
    assert (replay_dir / "ledger.jsonl").read_text().splitlines() == original, name
    return {
        "queries": queries,
        "run_s": run_s,
        "per_query_s": run_s / queries,
        "checkpoint_ms": checkpoint_ms,
        "share": checkpoint_ms / 60_000,
        "kb": size_kb,
        "line_ms": line_ms,
        "replay_s": replay_s,
        "replay_ratio": replay_s / run_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--graphpnas-queries", type=int, default=30)
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [
        ("random", ["strategy=random"], args.queries),
        ("evolution", ["strategy=evolution"], args.queries),
    ]
    if "graphpnas" in STRATEGIES:
        cases.append(
            ("graphpnas", ["strategy=graphpnas", "strategy.params={}"], args.graphpnas_queries)
        )
    rows = [
        "| strategy | queries | run s | s/query | ckpt ms | ckpt KB | ckpt/60s | line ms "
        "| replay s | replay/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, strategy, queries in cases:
            m = measure(Path(tmp), name, strategy, queries)
            records.append({"strategy": name, **m})
            rows.append(
                f"| {name} | {m['queries']} | {m['run_s']:.2f} | {m['per_query_s']:.4f} | "
                f"{m['checkpoint_ms']:.1f} | {m['kb']:.0f} | {100 * m['share']:.3f}% | "
                f"{m['line_ms']:.2f} | {m['replay_s']:.2f} | {m['replay_ratio']:.2f} |"
            )
            print(rows[-1], flush=True)
    write_record(args.json, "resume_cost", "\n".join(rows), records)


if __name__ == "__main__":
    main()
