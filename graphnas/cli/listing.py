"""`graphnas list [WHAT]`: the registered components (plug-ins imported with --import included)."""

from __future__ import annotations

import enum
import inspect
import textwrap
from collections.abc import Callable
from typing import Annotated, Any

import typer

from graphnas.cli.app import app, echo

SUMMARY_WIDTH = 80


class Listed(str, enum.Enum):
    """What `graphnas list` can show."""

    spaces = "spaces"
    space_kinds = "space-kinds"
    strategies = "strategies"
    update_rules = "update-rules"
    evaluators = "evaluators"
    pools = "pools"
    trackers = "trackers"


@app.command("list")
def list_components(
    what: Annotated[
        Listed | None, typer.Argument(help="One kind of component (default: every kind).")
    ] = None,
) -> None:
    """List the registered spaces, strategies, update rules, evaluators, pools and trackers."""
    kinds = [what] if what is not None else list(Listed)
    for index, kind in enumerate(kinds):
        if index:
            echo()
        echo(f"{kind.value}:")
        entries = _ENTRIES[kind]()
        width = max((len(name) for name in entries), default=0)
        for name, summary in entries.items():
            echo(f"  {name:<{width}}  {summary}".rstrip())


def _spaces() -> dict[str, str]:
    from graphnas.spaces import load_space, shipped_space_names

    entries = {}
    for name in shipped_space_names():
        description = load_space(name).describe()
        entries[name] = f"kind {description.kind}, about 10^{description.log10_size:.1f} archs"
    return entries


def _registry_entries(load: Callable[[], Any]) -> Callable[[], dict[str, str]]:
    def entries() -> dict[str, str]:
        registry = load()
        return {name: _summary(registry.get(name)) for name in registry.names()}

    return entries


def _space_kinds() -> Any:
    from graphnas.spaces import SPACE_KINDS

    return SPACE_KINDS


def _strategies() -> Any:
    from graphnas.strategies import STRATEGIES

    return STRATEGIES


def _update_rules() -> Any:
    from graphnas.strategies.update_rules import UPDATE_RULES

    return UPDATE_RULES


def _evaluators() -> Any:
    from graphnas.evaluators import EVALUATORS

    return EVALUATORS


def _pools() -> Any:
    from graphnas.evaluators import POOLS

    return POOLS


def _trackers() -> Any:
    from graphnas.tracking import TRACKERS

    return TRACKERS


def _summary(component: Any) -> str:
    """The first paragraph of a component's docstring, shortened to `SUMMARY_WIDTH` characters."""
    paragraph = (inspect.getdoc(component) or "").strip().split("\n\n")[0]
    return textwrap.shorten(paragraph, SUMMARY_WIDTH, placeholder=" ...")


_ENTRIES: dict[Listed, Callable[[], dict[str, str]]] = {
    Listed.spaces: _spaces,
    Listed.space_kinds: _registry_entries(_space_kinds),
    Listed.strategies: _registry_entries(_strategies),
    Listed.update_rules: _registry_entries(_update_rules),
    Listed.evaluators: _registry_entries(_evaluators),
    Listed.pools: _registry_entries(_pools),
    Listed.trackers: _registry_entries(_trackers),
}
