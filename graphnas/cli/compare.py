"""`graphnas compare`: several strategies x seeds on one experiment (a thin layer over
`graphnas.compare`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from graphnas.cli.app import app, echo
from graphnas.cli.options import ConfigFile, Overrides
from graphnas.errors import GraphnasError


@app.command()
def compare(
    config: ConfigFile,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies", "-s", help="e.g. graphpnas,random,evolution:population_size=10"
        ),
    ],
    seeds: Annotated[str, typer.Option("--seeds", help="A count (10) or a list (0,3,7).")] = "5",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder (default runs/compare-NAME).")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Parallel runs (default: 2 or #CPUs).")
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="Metric reported for the chosen architecture.")
    ] = "test_accuracy",
    overrides: Overrides = None,
) -> None:
    """Run several strategies x seeds on one experiment; write a table, a plot and the runs."""
    from graphnas.compare import parse_strategies, run_comparison, seeds_from
    from graphnas.config import load_search_config

    base = load_search_config(config, overrides or [])
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
