"""`graphnas eval ARCH`: score architectures with any registered evaluator, writing nothing.

ARCH is an architecture file (.json, .graphml, .dot), a JSONL of them, a run directory (its best
architecture, or its top K with --top), or a space's code string (an NB201 cell string, an ENAS
arc, ...). The evaluator is built exactly as a search with the same config builds it (same recipe,
same derived seed), so `eval` reproduces a search's score of the same architecture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphnas.cli.app import app, echo
from graphnas.cli.options import Overrides
from graphnas.cli.search import format_number
from graphnas.errors import InputFileError

if TYPE_CHECKING:
    from graphnas.config import SearchConfig
    from graphnas.graph import ArchGraph
    from graphnas.spaces import SearchSpace


@app.command("eval")
def evaluate(
    arch: Annotated[
        str, typer.Argument(help="Architecture file, JSONL, run directory, or a space's code.")
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Experiment YAML (its evaluator).")
    ] = None,
    evaluator: Annotated[
        str | None,
        typer.Option("--evaluator", "-e", help="Evaluator name (see graphnas list evaluators)."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", "-k", help="Of a run directory or JSONL: the best K.")
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per architecture instead.")
    ] = False,
    overrides: Overrides = None,
) -> None:
    """Score architectures with an evaluator (the config's, or --evaluator NAME); key=value
    overrides apply to the config (evaluator.params.dataset=cifar100, space=..., seed=...).

    Exit status 1 when an evaluation fails (its reason is printed)."""
    from graphnas.config import load_search_config
    from graphnas.evaluators.base import prepare_evaluator, reward_name_of
    from graphnas.evaluators.recipe import EvaluatorRecipe
    from graphnas.plugins import load_plugins
    from graphnas.seeding import component_seed

    if config is not None and evaluator is not None:
        raise typer.BadParameter("give --config FILE or --evaluator NAME, not both")
    if top < 1:
        raise typer.BadParameter(f"must be >= 1, got {top}", param_hint="--top")
    given = list(overrides or [])
    if evaluator is not None:
        given.insert(0, f"evaluator={evaluator}")
    resolved = load_search_config(config, given)
    load_plugins(resolved.imports)
    space_named = config is not None or any(o.partition("=")[0].strip() == "space" for o in given)
    archs, space = _architectures(arch, resolved, top, space_named)
    device = _device(resolved.device)
    seed = component_seed(resolved.seed, "evaluator")
    recipe = EvaluatorRecipe.of(resolved.evaluator, space, seed=seed, run_seed=resolved.seed)
    built = recipe.build(device, space=space)
    prepare_evaluator(built)
    results = built.evaluate(archs)
    reward_name = reward_name_of(built)
    for graph, result in zip(archs, results, strict=True):
        code = space.encode(graph)
        if as_json:
            echo(json.dumps({"code": code, **result.to_dict()}, allow_nan=False, default=str))
        else:
            _print_result(code, result, reward_name)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


def _architectures(
    given: str, config: SearchConfig, top: int, space_named: bool
) -> tuple[list[ArchGraph], SearchSpace]:
    """The architectures to score and their space (the config's when it names one, else the
    architectures' own); an architecture invalid in that space is refused in one line."""
    from graphnas.export import load_source
    from graphnas.spaces import load_space

    path = Path(given)
    if path.exists():
        archs = [record.arch for record in load_source(path).top(top)]
        own = {a.space for a in archs if a.space}
        name = config.space if space_named or len(own) != 1 else own.pop()
        space = load_space(name)
    else:
        space = load_space(config.space)
        if not _looks_like_code(given):
            raise InputFileError(f"{given}: no such file, and not a {space.name} code")
        archs = [space.decode(given)]
    for graph in archs:
        problems = space.problems(graph)
        if problems:
            raise InputFileError(f"{given}: not valid in space {space.name}: {problems[0]}")
    return archs, space


def _looks_like_code(text: str) -> bool:
    """A code string rather than a mistyped path (which would end in a file suffix)."""
    return not text.lower().endswith((".json", ".jsonl", ".graphml", ".dot", ".yaml"))


def _device(spec: str) -> Any:
    from graphnas.config import resolve_device

    return resolve_device(spec)


def _print_result(code: str, result: Any, reward_name: str) -> None:
    rows = [("architecture", code)]
    if result.ok:
        rows.append((reward_name, format_number(result.reward)))
        rows.extend((key, format_number(value)) for key, value in result.metrics.items())
        rows.append(("cost", f"{result.cost_s:.3f} s"))
    else:
        rows.append(("failed", str(result.error)))
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        echo(f"{label + ':':<{width}}{value}")
