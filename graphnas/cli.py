"""The `graphnas` command line. Each command is a thin function over library code.

Every user-facing problem (a GraphnasError, a usage error, a missing file) ends with one line on
stderr naming the input and the problem, and exit status 2; no traceback. To add a command, write a
small function decorated with `@app.command()` that calls into the library.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from graphnas import __version__
from graphnas.errors import GraphnasError

app = typer.Typer(
    name="graphnas",
    help="Graph-generative neural architecture search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

USER_ERROR_STATUS = 2


def echo(line: str = "") -> None:
    typer.echo(line)


def _version_callback(value: bool) -> None:
    if value:
        echo(f"graphnas {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Graph-generative neural architecture search."""


# ---------------------------------------------------------------------- search
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
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="key=value overrides, e.g. seed=3 out=runs/a budget.queries=50"),
    ] = None,
) -> None:
    """Run an architecture search described by a config file (plus key=value overrides).

    SIGINT (Ctrl-C) or SIGTERM stop it cleanly: a checkpoint is written and the exit status is
    130 or 143; `graphnas search --resume RUN_DIR` continues it (also after a kill or a crash).
    """
    from graphnas.config import load_search_config
    from graphnas.search import exit_status, resume_search, run_loop, run_search

    if config is not None and resume is not None:
        raise GraphnasError("search: give --config FILE or --resume RUN_DIR, not both")
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
        except GraphnasError as err:  # e.g. an unknown component name: say which file set it up
            message = str(err)
            raise GraphnasError(
                message if str(config) in message else f"{config}: {message}"
            ) from None
    print_search_summary(summary)
    status = exit_status(summary)
    if status:
        typer.echo(
            f"graphnas: {summary['stopped']}; checkpoint written; continue with: "
            f"graphnas search --resume {summary['run_dir']}",
            err=True,
        )
        raise typer.Exit(status)


def print_search_summary(summary: dict[str, Any]) -> None:
    """The best architecture, its reward and test metrics, and where the run was written."""
    best = summary.get("best")
    echo()
    if best is None:
        echo(f"no successful evaluation in {summary['queries']} queries ({summary['stopped']})")
    else:
        metrics = best.get("metrics") or {}
        echo(f"best architecture:  {best['code']}")
        echo(f"validation reward:  {_number(best['reward'])}")
        if "test_accuracy" in metrics:
            echo(f"test accuracy:      {_number(metrics['test_accuracy'])}")
        extra = {k: v for k, v in metrics.items() if k != "test_accuracy"}
        if extra:
            echo("metrics:            " + ", ".join(f"{k}={_number(v)}" for k, v in extra.items()))
        echo(f"found at query:     {best['query']} of {summary['queries']}")
    echo(
        f"queries:            {summary['queries']} unique ({summary['duplicates']} repeats free, "
        f"{summary['failed']} failed) in {summary['wall_s']:.2f} s; stopped by {summary['stopped']}"
    )
    if summary.get("run_dir"):
        echo(f"run directory:      {summary['run_dir']}")


# ---------------------------------------------------------------------- train
@app.command()
def train(
    arch: Annotated[Path, typer.Argument(help="Architecture JSON file (graphnas.arch schema).")],
    data: Annotated[
        str, typer.Option("--data", help="tiny-imagenet:PATH, cifar10:PATH, cifar100:PATH")
    ],
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 30,
    space: Annotated[
        str | None, typer.Option("--space", help="Space name or YAML (default: the arch's).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 128,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate.")] = 0.1,
    classes: Annotated[
        int | None, typer.Option("--classes", help="Keep only the first N classes.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:1, mps")] = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUT/checkpoint.pt.")
    ] = False,
    wandb: Annotated[
        bool,
        typer.Option(
            "--wandb", help="Log epochs to wandb (offline unless WANDB_MODE says otherwise)."
        ),
    ] = False,
) -> None:
    """Train one architecture fully on a dataset; writes OUT/result.json and OUT/checkpoint.pt."""
    from graphnas.cli_train import run_train_command

    status = run_train_command(
        arch, data, epochs, space, out, batch_size, lr, classes, seed, device, resume, wandb, echo
    )
    if status:
        raise typer.Exit(status)


# ---------------------------------------------------------------------- data
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


# ---------------------------------------------------------------------- info
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


def _number(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


# ---------------------------------------------------------------------- export
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
        typer.Option("--wandb", help="Log pictures, top-K table and files to wandb (offline)."),
    ] = False,
) -> None:
    """Export architectures to pictures, DOT/GraphML/JSON, or an HTML gallery of a run."""
    from graphnas.cli_export import run_export_command

    run_export_command(source, fmt, out, top, engine, diff, reference, plots, space, wandb, echo)


# ---------------------------------------------------------------------- compare and sample
@app.command()
def compare(
    config: Annotated[Path, typer.Option("--config", "-c", help="Experiment YAML file.")],
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies", "-s", help="e.g. graphpnas,random,evolution:population_size=10"
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
        str, typer.Option("--metric", help="Metric reported for the chosen architecture.")
    ] = "test_accuracy",
    overrides: Annotated[
        list[str] | None, typer.Argument(help="key=value overrides for every run")
    ] = None,
) -> None:
    """Run several strategies x seeds on one experiment; write a table, a plot and the runs."""
    from graphnas.cli_compare import run_compare_command

    run_compare_command(config, strategies, seeds, out, jobs, metric, overrides or [], echo)


@app.command()
def sample(
    target: Annotated[str, typer.Argument(help="A run directory, or a space name/YAML file.")],
    n: Annotated[int, typer.Option("-n", help="Number of architectures.")] = 1000,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL file.")] = Path(
        "archs.jsonl"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed.")] = 0,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Generator temperature.")
    ] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, ...")] = "cpu",
) -> None:
    """Draw architectures from a run's trained generator (or a space's prior) and report on them."""
    from graphnas.cli_compare import run_sample_command

    run_sample_command(target, n, out, seed, temperature, device, echo)


# ---------------------------------------------------------------------- entry point
def user_error_line(exc: BaseException) -> str | None:
    """The one-line message for a user-facing problem, or None for a bug (which keeps its trace)."""
    if isinstance(exc, GraphnasError):
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__
    format_message = getattr(exc, "format_message", None)
    if callable(format_message):  # click/typer usage errors (typer may vendor its own click)
        return " ".join(str(format_message()).split())
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the command; user errors end as one stderr line and status 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        args = ["--help"]
    try:
        status = app(args=args, prog_name="graphnas", standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except (typer.Abort, KeyboardInterrupt):
        print("graphnas: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        line = user_error_line(exc)
        if line is None:
            raise
        print(f"graphnas: error: {line}", file=sys.stderr)
        return USER_ERROR_STATUS
    return status if isinstance(status, int) else 0  # click returns typer.Exit's code here


if __name__ == "__main__":
    sys.exit(main())
