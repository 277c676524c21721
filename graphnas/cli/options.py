"""Options shared by several commands, each written once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigFile = Annotated[Path, typer.Option("--config", "-c", help="Experiment YAML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Argument(help="key=value overrides, e.g. seed=3 out=runs/a budget.queries=50"),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:1, mps")]
SpaceName = Annotated[
    str | None, typer.Option("--space", help="Space name or YAML (default: the arch's).")
]
Wandb = Annotated[
    bool,
    typer.Option("--wandb", help="Log to wandb (offline unless WANDB_MODE says otherwise)."),
]
