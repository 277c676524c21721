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

# Exit statuses of a comparison stopped by a signal (its table written): 128 + the signal.
INTERRUPTED_STATUS = {"SIGINT": 130, "SIGTERM": 143}


@app.command()
def compare(
    config: ConfigFile,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies",
            "-s",
            help="e.g. graphpnas,random,evolution:population_size=10 (key.sub=value: nested).",
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
        str | None,
        typer.Option(
            "--metric",
            help="Metric reported for the chosen architecture (default: the evaluator's "
            "report metric, else its reward).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the (interrupted) comparison in --out: same arguments."
        ),
    ] = False,
    overrides: Overrides = None,
) -> None:
    """Run several strategies x seeds on one experiment; write a table, a plot and the runs.

    SIGINT (Ctrl-C) or SIGTERM stops every run (each checkpointed), writes the table with the
    interrupted runs marked, and exits 130 or 143; `--resume` then continues the comparison."""
    from graphnas.compare import parse_strategies, run_comparison, seeds_from
    from graphnas.config import load_search_config

    base = load_search_config(config, overrides or [])
    specs = parse_strategies(strategies)
    seed_list = seeds_from(seeds)
    if jobs is not None and jobs < 1:
        raise GraphnasError(f"--jobs: must be >= 1, got {jobs}")
    workers = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    folder = out if out is not None else Path("runs") / f"compare-{base.name}"
    comparison = run_comparison(base, specs, seed_list, folder, workers, metric, resume)
    paths = comparison.write(folder)
    echo(comparison.markdown().rstrip())
    echo(f"table: {paths['table']}  plot: {paths['plot']}  runs: {paths['json']}")
    fronts = [str(path) for key, path in paths.items() if key.startswith("pareto_")]
    if fronts:
        echo(f"pareto fronts: {'  '.join(fronts)}")
    if comparison.interrupted_by is not None:
        raise typer.Exit(INTERRUPTED_STATUS.get(comparison.interrupted_by, 130))
