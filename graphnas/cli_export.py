"""`graphnas export` wiring: the search space gives validity and identity to the distribution
statistics, and the wandb tracker receives the pictures. The work is in `graphnas.export`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from graphnas.errors import GraphnasError
from graphnas.graph import ArchGraph

if TYPE_CHECKING:
    from graphnas.spaces import SearchSpace

MAX_LISTED = 12


def run_export_command(
    source: Path,
    fmt: str,
    out: Path,
    top: int | None,
    engine: str,
    diff: Path | None,
    references: list[Path] | None,
    plots: Path | None,
    space: str | None,
    wandb: bool,
    echo: Callable[[str], None],
) -> None:
    """Run the export and list what it wrote."""
    from graphnas.export import run_export

    is_valid, key = space_rules(space)
    tracker = None
    if wandb:
        from graphnas.tracking import build_trackers

        folder = out.parent if out.suffix else out
        folder.mkdir(parents=True, exist_ok=True)
        tracker = build_trackers(
            ["wandb"],
            run_dir=folder,
            name=f"export-{source.name}",
            config={"source": str(source), "format": fmt, "top": top},
        )
    result = run_export(
        source,
        fmt,
        out,
        top_k=top,
        engine=engine,
        diff=diff,
        references=references or (),
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
