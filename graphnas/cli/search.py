"""`graphnas search`: run (or resume) an architecture search and print its best architecture."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from graphnas.cli.app import app, echo
from graphnas.cli.options import Overrides
from graphnas.errors import GraphnasError


@app.command()
def search(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Experiment YAML file.")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue the run in this directory (killed, stopped, or with a larger budget).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the resolved config and exit; nothing is written."),
    ] = False,
    overrides: Overrides = None,
) -> None:
    """Run an architecture search described by a config file (plus key=value overrides).

    SIGINT (Ctrl-C) or SIGTERM stop it cleanly: a checkpoint is written and the exit status is
    130 or 143; `graphnas search --resume RUN_DIR` continues it (also after a kill or a crash).
    """
    from graphnas.config import load_search_config
    from graphnas.search import exit_status, resume_search, run_loop, run_search

    if config is not None and resume is not None:
        raise GraphnasError("search: give --config FILE or --resume RUN_DIR, not both")
    if dry_run:
        if config is None:
            raise GraphnasError("search: --dry-run needs --config FILE")
        print_resolved_config(config, overrides or [])
        return
    if resume is not None:
        summary = run_loop(resume_search(resume, overrides or []))
    elif config is None:
        raise GraphnasError(
            "search: --config FILE is required (e.g. experiments/nb201.yaml), or --resume RUN_DIR"
        )
    else:
        resolved = load_search_config(config, overrides or [])
        try:
            summary = run_search(resolved)
        except GraphnasError as err:  # e.g. an unknown component name: say who set it
            raise blamed(err, config, overrides or []) from None
    print_search_summary(summary)
    status = exit_status(summary)
    if status:
        typer.echo(
            f"graphnas: {summary['stopped']}; checkpoint written; continue with: "
            f"graphnas search --resume {summary['run_dir']}",
            err=True,
        )
        raise typer.Exit(status)


def print_resolved_config(config: Path, overrides: list[str]) -> None:
    """The config a search would run with, after its names are checked against the registries
    (plug-ins of `imports` loaded first); builds and writes nothing."""
    from graphnas.config import load_search_config, to_yaml
    from graphnas.evaluators import EVALUATORS, POOLS
    from graphnas.plugins import load_plugins
    from graphnas.spaces import load_space
    from graphnas.strategies import STRATEGIES
    from graphnas.tracking import check_tracking

    resolved = load_search_config(config, overrides)
    try:
        load_plugins(resolved.imports)
        load_space(resolved.space)
        STRATEGIES.get(resolved.strategy.name)
        EVALUATORS.get(resolved.evaluator.name)
        POOLS.get(resolved.pool.name)
        check_tracking(resolved.tracking.backends, resolved.tracking.wandb_mode)
    except GraphnasError as err:
        raise blamed(err, config, overrides) from None
    typer.echo(to_yaml(resolved).rstrip())


def blamed(err: GraphnasError, config: Path | None, overrides: list[str]) -> GraphnasError:
    """`err` prefixed with its source: the last override whose value (or an item of it) or key
    the message quotes (`override 'strategy=nope': unknown strategy 'nope'`), else the config
    file (or nothing where the message already names its source)."""
    message = str(err)
    for item in reversed(overrides):
        key, _, value = item.partition("=")
        words = [value.strip(), key.strip().split(".")[-1], *re.findall(r"[^\[\]{},:\s]+", value)]
        if any(f"'{word}'" in message for word in words if word):
            return GraphnasError(f"override {item!r}: {message}")
    named_source = message.partition(":")[0]
    if config is None or str(config) in named_source or "environment variable" in named_source:
        return GraphnasError(message)
    return GraphnasError(f"{config}: {message}")


def print_search_summary(summary: dict[str, Any]) -> None:
    """The best architecture, its reward and test metrics, and where the run was written."""
    best = summary.get("best")
    echo()
    if best is None:
        echo(f"no successful evaluation in {summary['queries']} queries ({summary['stopped']})")
    else:
        metrics = best.get("metrics") or {}
        echo(f"best architecture:  {best['code']}")
        echo(f"validation reward:  {format_number(best['reward'])}")
        if "test_accuracy" in metrics:
            echo(f"test accuracy:      {format_number(metrics['test_accuracy'])}")
        extra = {k: v for k, v in metrics.items() if k != "test_accuracy"}
        if extra:
            echo(
                "metrics:            "
                + ", ".join(f"{k}={format_number(v)}" for k, v in extra.items())
            )
        echo(f"found at query:     {best['query']} of {summary['queries']}")
    echo(
        f"queries:            {summary['queries']} unique ({summary['duplicates']} repeats free, "
        f"{summary['failed']} failed) in {summary['wall_s']:.2f} s; stopped by {summary['stopped']}"
    )
    if summary.get("run_dir"):
        echo(f"run directory:      {summary['run_dir']}")


def format_number(value: Any) -> str:
    """Floats to at most 4 decimals without trailing zeros; anything else as str."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)
