"""`graphnas latency`: measure the per-op latency table of a space on this machine's device."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphnas.cli.app import app, echo


@app.command()
def latency(
    space: Annotated[str, typer.Option("--space", help="A shipped space name or a space file.")],
    network: Annotated[
        list[str] | None,
        typer.Option("--network", metavar="KEY=VALUE", help="Skeleton override (repeatable)."),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:N, mps.")] = "auto",
    batch: Annotated[int, typer.Option("--batch", help="Batch size measured.")] = 1,
    repeats: Annotated[int, typer.Option("--repeats", help="Timed runs per op (median).")] = 20,
    out: Annotated[
        Path | None, typer.Option("--out", help="Table file (default: the device's cache).")
    ] = None,
) -> None:
    """Measure every op site of SPACE (and the fixed part of its network) on the device and add
    them to its latency table (the device's cache unless --out), used by max_latency_ms,
    latency objectives and ProxylessNAS."""
    from graphnas.compiler.latency import LatencyTable, build_latency_table, default_table_path
    from graphnas.config import resolve_device
    from graphnas.errors import ConfigError
    from graphnas.safe_yaml import load_yaml

    overrides = {}
    for item in network or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--network {item!r}: expected KEY=VALUE, e.g. channels=8")
        overrides[key.strip()] = load_yaml(text, f"--network {item!r}")
    target = resolve_device(device)
    path = out or default_table_path(target)
    table = LatencyTable.load(path) if path.exists() else None
    table = build_latency_table(
        space, device=target, network=overrides, batch_size=batch, repeats=repeats, table=table
    )
    table.save(path)
    echo(f"latency table of {table.device!r}: {len(table.entries)} entries in {path}")
