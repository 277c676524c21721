"""`graphnas sample`: draw architectures from a run's trained generator or a space's prior."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graphnas.cli.app import app, echo, naming_path
from graphnas.cli.options import Seed


@app.command()
def sample(
    target: Annotated[str, typer.Argument(help="A run directory, or a space name/YAML file.")],
    n: Annotated[int, typer.Option("-n", help="Number of architectures.")] = 1000,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL file.")] = Path(
        "archs.jsonl"
    ),
    seed: Seed = 0,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Generator temperature.")
    ] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, ...")] = "cpu",
) -> None:
    """Draw architectures from a run's trained generator (or a space's prior) and report on them.

    Writes OUT (one architecture per line) and the report next to it (OUT with .report.json).
    """
    from graphnas.config import resolve_device
    from graphnas.sampling import draw, format_report, open_source, report, write_jsonl

    source = open_source(target, str(resolve_device(device)))
    archs = draw(source, n, seed, temperature)
    with naming_path(out):
        write_jsonl(archs, out)
    summary = report(source, archs, seed, temperature)
    report_path = out.with_suffix(".report.json")
    with naming_path(report_path):
        report_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for line in format_report(summary):
        echo(line)
    echo(f"wrote {out} and {report_path}")
