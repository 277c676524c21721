"""`graphnas info SPACE`: describe a search space."""

from __future__ import annotations

from typing import Annotated

import typer

from graphnas.cli.app import app, echo


@app.command()
def info(space: Annotated[str, typer.Argument(help="A shipped space name or a space YAML file.")]):
    """Describe a search space: size, vocabulary, parameters and an example architecture."""
    from graphnas.spaces import load_space, shipped_space_names

    loaded = load_space(space)
    description = loaded.describe()
    echo(f"space:       {description.name} (kind {description.kind})")
    echo(f"size:        {_space_size(description.size, description.log10_size)}")
    echo(f"ops on:      {description.ops_on}")
    echo(f"vocabulary:  {', '.join(description.vocabulary)}")
    for key, value in description.details.items():
        echo(f"{key + ':':<12} {value}")
    echo(f"network:     {loaded.network}")
    echo(f"example:     {loaded.encode(loaded.example())}")
    if space in shipped_space_names():
        echo(f"(shipped space; other shipped spaces: {', '.join(shipped_space_names())})")


def _space_size(size: int, log10_size: float) -> str:
    """Exact count for countable sizes, a power of ten for astronomically large ones."""
    if size < 10**15:
        return f"{size:,} architectures (10^{log10_size:.2f})"
    # int(log10) + 1 digits: str(size) fails past 4,300 digits (Python's int-to-str limit).
    return f"about 10^{log10_size:.2f} architectures ({int(log10_size) + 1}-digit exact count)"
