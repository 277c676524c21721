"""Search quality and loop overhead on the shipped NAS-Bench-201 table (CIFAR-10).

Quality: each strategy runs the experiments/nb201.yaml recipe (100 unique queries) for seeds
0..N-1; the chosen cell is the one with the best validation reward, and its 200-epoch CIFAR-10 test
accuracy is reported as mean ± std (sample std, ddof=1) over seeds.

Overhead: in the same process, for the same strategy and seed, the full SearchLoop (canonical-hash
dedupe, ledger with fsync per line, summary, curve) is timed against a bare ask -> evaluate -> tell
loop over the same number of unique queries. The loop's own cost per query is its wall time
minus the time spent inside the evaluator, divided by the queries.

Usage: python benchmarks/nb201_search.py [--seeds 10] [--queries 100] [--out table.md]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from graphnas.config import load_search_config
from graphnas.evaluators.nb201_table import NB201TableEvaluator, load_nb201_table
from graphnas.search import build_search
from graphnas.seeding import component_seed
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "nb201.yaml"


def run_one(strategy: str, seed: int, queries: int, root: Path, files: bool = True) -> dict:
    config = load_search_config(
        EXPERIMENT,
        [
            f"strategy={strategy}",
            f"seed={seed}",
            f"budget.queries={queries}",
            f"out={root / f'{strategy}-{seed}-{files}'}",
            "progress=false",
            "tracking.backends=[]",
        ],
    )
    loop = build_search(config)
    if not files:  # same loop, but no ledger lines or summary written (isolates the fsync cost)
        loop.run_dir = None
    params = dict(config.strategy.params)
    summary = loop.run()
    return {"summary": summary, "params": params}


def bare_loop_seconds(strategy: str, params: dict, seed: int, queries: int) -> float:
    """ask -> evaluate -> tell with no dedupe, ledger or tracking: the naive reference loop."""
    space = load_space("nb201")
    evaluator = NB201TableEvaluator(space)
    built = STRATEGIES.build(
        strategy, params, {"space": space, "seed": component_seed(seed, "strategy")}
    )
    seen: set[str] = set()
    start = time.perf_counter()
    while len(seen) < queries:
        archs = built.ask(1)
        built.tell(archs, evaluator.evaluate(archs))
        seen.add(space.encode(archs[0]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    load_nb201_table()  # load once so no run pays for it
    table = load_nb201_table()
    oracle = float(table.columns["test_cifar10"][table.columns["val_cifar10"].argmax()])
    lines = [
        f"NB201 CIFAR-10, {args.queries} unique queries, seeds 0..{args.seeds - 1} "
        f"(recipe: {EXPERIMENT.relative_to(ROOT)})",
        "",
        "| strategy | test acc. of chosen cell (%) | val. reward (%) | found at query "
        "| repeats (free) | loop overhead / query | same, no run files "
        "| bare ask-eval-tell / query |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("random", "evolution"):
            tests, rewards, found, repeats, overhead, no_files, bare = ([] for _ in range(7))
            for seed in range(args.seeds):
                run = run_one(strategy, seed, args.queries, Path(tmp))
                summary = run["summary"]
                best = summary["best"]
                tests.append(best["metrics"]["test_accuracy"])
                rewards.append(best["reward"])
                found.append(best["query"])
                repeats.append(summary["duplicates"])
                loop_own = summary["wall_s"] - summary["eval_wall_s"]
                overhead.append(loop_own / summary["queries"])
                quiet = run_one(strategy, seed, args.queries, Path(tmp), files=False)["summary"]
                assert quiet["best"] == best  # writing files changes nothing but the time
                no_files.append((quiet["wall_s"] - quiet["eval_wall_s"]) / quiet["queries"])
                bare.append(bare_loop_seconds(strategy, run["params"], seed, args.queries))
            lines.append(
                f"| {strategy} | {statistics.mean(tests):.2f} ± {statistics.stdev(tests):.2f} "
                f"| {statistics.mean(rewards):.2f} ± {statistics.stdev(rewards):.2f} "
                f"| {statistics.mean(found):.0f} | {statistics.mean(repeats):.0f} "
                f"| {1e3 * statistics.median(overhead):.3f} ms "
                f"| {1e3 * statistics.median(no_files):.3f} ms "
                f"| {1e3 * statistics.median(bare) / args.queries:.3f} ms |"
            )
            print(f"{strategy}: per-seed test accuracy {tests}", flush=True)
    lines += [
        "",
        f"Oracle (cell with the best cifar10-valid validation accuracy): test {oracle:.2f}%.",
        "Loop overhead = (wall time - time inside the evaluator) / unique queries, median over "
        "seeds; it includes the strategy's ask/tell, validation, hashing, dedupe, the fsynced "
        "ledger line and the summary. 'No run files' is the same loop writing nothing. The bare "
        "loop (ask, table lookup, tell; no dedupe, no files), evaluator time included, is timed "
        "in the same process as the naive reference.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
