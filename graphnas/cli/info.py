"""`graphnas info SPACE`: describe a search space, wrapped to the terminal."""

from __future__ import annotations

import shutil
import textwrap
from typing import Annotated

import typer

from graphnas.cli.app import app, echo

LABEL_WIDTH = 13
MAX_WIDTH = 100
# An example longer than this many wrapped lines is abridged unless --full asks for all of it.
MAX_EXAMPLE_LINES = 4


@app.command()
def info(
    space: Annotated[str, typer.Argument(help="A shipped space name or a space YAML file.")],
    full: Annotated[
        bool, typer.Option("--full", help="Print the whole example, however long.")
    ] = False,
) -> None:
    """Describe a search space: size, vocabulary, parameters and an example architecture."""
    from graphnas.spaces import load_space, shipped_space_names

    loaded = load_space(space)
    description = loaded.describe()
    example = loaded.example()
    width = min(MAX_WIDTH, shutil.get_terminal_size((MAX_WIDTH, 24)).columns)
    rows = [
        ("space", f"{description.name} (kind {description.kind})"),
        ("size", _space_size(description.size, description.log10_size)),
        ("ops on", description.ops_on),
        ("vocabulary", ", ".join(description.vocabulary)),
        *((key, str(value)) for key, value in description.details.items()),
        ("network", str(loaded.network)),
        ("example", f"{example.num_nodes} nodes, {example.num_edges} edges; its code:"),
    ]
    for label, value in rows:
        for line in _wrapped(label, value, width):
            echo(line)
    code = loaded.encode(example)
    lines = textwrap.wrap(code, width, break_long_words=False, break_on_hyphens=False)
    if not full and len(lines) > MAX_EXAMPLE_LINES:
        lines = [*lines[: MAX_EXAMPLE_LINES - 1], f"... ({len(code):,} characters; --full)"]
    for line in lines:
        echo(line)
    if space in shipped_space_names():
        for line in _wrapped("shipped", ", ".join(shipped_space_names()), width):
            echo(line)


def _wrapped(label: str, value: str, width: int) -> list[str]:
    """`label:` in a fixed column, the value wrapped under itself."""
    head = f"{label + ':':<{LABEL_WIDTH - 1}} "
    return textwrap.wrap(
        value,
        width,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [head.rstrip()]


def _space_size(size: int, log10_size: float) -> str:
    """Exact count for countable sizes, a power of ten for astronomically large ones."""
    if size < 10**15:
        return f"{size:,} architectures (10^{log10_size:.2f})"
    # int(log10) + 1 digits: str(size) fails past 4,300 digits (Python's int-to-str limit).
    return f"about 10^{log10_size:.2f} architectures ({int(log10_size) + 1}-digit exact count)"
