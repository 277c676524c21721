"""`graphnas export`: pictures, DOT/GraphML/JSON or an HTML gallery of architectures or a run.

The search space gives validity and identity to the distribution statistics, and the wandb tracker
receives the pictures; the work is in `graphnas.export`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphnas.cli.app import app, echo
from graphnas.errors import GraphnasError

if TYPE_CHECKING:
    from graphnas.graph import ArchGraph
    from graphnas.spaces import SearchSpace
    from graphnas.tracking import WandbTracker

MAX_LISTED = 12


@app.command()
def export(
    source: Annotated[
        Path,
        typer.Argument(help="ARCH.json (or .graphml/.dot), archs.jsonl, or a run directory."),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="svg, png, pdf, dot, graphml, json or html.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file (a directory for several archs).")
    ],
    top: Annotated[
        int | None,
        typer.Option("--top", "-k", help="Best K by reward (run default: 1; html: 12)."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="auto (graphviz if installed), graphviz, matplotlib.")
    ] = "auto",
    diff: Annotated[
        Path | None, typer.Option("--diff", help="Draw SOURCE's best against this one's.")
    ] = None,
    reference: Annotated[
        list[Path] | None,
        typer.Option("--reference", help="Set(s) to compare distributions with (JSONL or run)."),
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option("--plots", help="Also write drawings, plots (SVG+PNG), stats.json here."),
    ] = None,
    space: Annotated[
        str | None,
        typer.Option("--space", help="Space for validity and identity (default: the arch's)."),
    ] = None,
    wandb: Annotated[
        bool,
        typer.Option(
            "--wandb",
            help="Log pictures, top-K table and files to wandb: into the search's run when "
            "SOURCE recorded one, else a new run (offline unless WANDB_MODE says otherwise).",
        ),
    ] = False,
) -> None:
    """Export architectures to pictures, DOT/GraphML/JSON, or an HTML gallery of a run."""
    from graphnas.export import run_export

    is_valid, key = space_rules(space)
    settings = {"source": str(source), "format": fmt, "top": top}
    tracker = export_tracker(source, out, settings) if wandb else None
    result = run_export(
        source,
        fmt,
        out,
        top_k=top,
        engine=engine,
        diff=diff,
        references=reference or (),
        plots_dir=plots,
        tracker=tracker,
        is_valid=is_valid,
        key=key,
    )
    if tracker is not None:
        tracker.finish({})
    for path in result.written[:MAX_LISTED]:
        echo(f"wrote {path}")
    if len(result.written) > MAX_LISTED:
        echo(f"... and {len(result.written) - MAX_LISTED} more files")


def export_tracker(source: Path, out: Path, config: dict[str, Any]) -> WandbTracker:
    """The wandb run of the search in `source` when it recorded one (the export attaches to it),
    else a new run next to the output."""
    from graphnas.tracking import WandbTracker, recorded_run

    record = recorded_run(source) if source.is_dir() else None
    if record is not None:
        return WandbTracker(
            source, project=record.get("project") or "graphnas", attach_to=record["id"]
        )
    folder = out.parent if out.suffix else out
    folder.mkdir(parents=True, exist_ok=True)
    return WandbTracker(folder, config, name=f"export-{source.name}", record_run=False)


def space_rules(
    explicit: str | None,
) -> tuple[Callable[[ArchGraph], bool], Callable[[ArchGraph], str]]:
    """Validity and identity from the named space, else from each architecture's own space
    (when it is a known one), else structural soundness and the graph's canonical hash. The
    spaces package loads on first use (a single drawing never needs it)."""
    spaces: dict[str, SearchSpace | None] = {}
    if explicit is not None:
        from graphnas.spaces import load_space

        spaces[explicit] = load_space(explicit)  # a bad --space is the user's error

    def space_of(arch: ArchGraph) -> SearchSpace | None:
        from graphnas.spaces import load_space

        name = explicit or arch.space
        if name not in spaces:
            try:
                spaces[name] = load_space(name) if name else None
            except GraphnasError:
                spaces[name] = None
        return spaces[name]

    def is_valid(arch: ArchGraph) -> bool:
        found = space_of(arch)
        return found.is_valid(arch) if found else not arch.structural_problems()

    def key(arch: ArchGraph) -> str:
        found = space_of(arch)
        return found.canonical_hash(arch) if found else arch.canonical_hash()

    return is_valid, key
