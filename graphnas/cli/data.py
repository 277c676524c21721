"""`graphnas data download`: fetch and prepare a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphnas.cli.app import app, echo
from graphnas.errors import GraphnasError

data_app = typer.Typer(help="Datasets: download and prepare.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("download")
def data_download(
    dataset: Annotated[str, typer.Argument(help="Dataset name: tiny-imagenet.")],
    root: Annotated[Path, typer.Option("--root", help="Folder to download and extract into.")],
) -> None:
    """Download a dataset's official archive, verify its checksum and extract it."""
    from graphnas.data.download import download_tiny_imagenet

    if dataset.strip().lower().replace("_", "-") not in ("tiny-imagenet", "tiny-imagenet-200"):
        raise GraphnasError(f"data download: unknown dataset {dataset!r}; valid: tiny-imagenet")
    folder = download_tiny_imagenet(root, progress=True)
    echo(f"tiny-imagenet ready at {folder}")
