"""The `graphnas compare` and `graphnas sample` commands (thin layers over `graphnas.compare` and
`graphnas.sampling`)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from graphnas.errors import GraphnasError


def run_compare_command(
    config: Path,
    strategies: str,
    seeds: str,
    out: Path | None,
    jobs: int | None,
    metric: str,
    overrides: list[str],
    echo: Callable[[str], None],
) -> None:
    """Run the comparison, write its files and print the table."""
    from graphnas.compare import parse_strategies, run_comparison, seeds_from
    from graphnas.config import load_search_config

    base = load_search_config(config, overrides)
    specs = parse_strategies(strategies)
    seed_list = seeds_from(seeds)
    if jobs is not None and jobs < 1:
        raise GraphnasError(f"--jobs: must be >= 1, got {jobs}")
    workers = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    folder = out if out is not None else Path("runs") / f"compare-{base.name}"
    comparison = run_comparison(base, specs, seed_list, folder, workers, metric)
    paths = comparison.write(folder)
    echo(comparison.markdown().rstrip())
    if comparison.optimum is not None:
        echo(f"best-by-reward in the space: {comparison.optimum['code']}")
    echo(f"table: {paths['table']}  plot: {paths['plot']}  runs: {paths['json']}")


def run_sample_command(
    target: str,
    n: int,
    out: Path,
    seed: int,
    temperature: float | None,
    device: str,
    echo: Callable[[str], None],
) -> None:
    """Draw, write archs.jsonl, print the report and save it next to the samples."""
    from graphnas.config import resolve_device
    from graphnas.sampling import draw, format_report, open_source, report, write_jsonl

    source = open_source(target, str(resolve_device(device)))
    archs = draw(source, n, seed, temperature)
    write_jsonl(archs, out)
    summary = report(source, archs, seed)
    report_path = out.with_suffix(".report.json")
    report_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for line in format_report(summary):
        echo(line)
    echo(f"wrote {out} and {report_path}")
