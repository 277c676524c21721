"""A search hashes each proposal once: the loop identifies it and tells the strategy its hash, so
neither the strategy nor its history (nor a Pareto wrapper) hashes a told architecture again."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_runs import EXPERIMENT, QUIET

from graphnas.config import load_search_config
from graphnas.search import build_search

# A small generator, trained after every query past a 4-query warm-up.
GRAPHPNAS = (
    "{warmup: 4, pool: 8, update: {name: elite, steps: 2, top_k: 4}, "
    "generator: {hidden: 8, layers: 1, mixtures: 2}}"
)


def counted_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, int]:
    """(proposals asked, canonical-id computations outside `ask`) of a 12-query search."""
    config = load_search_config(
        EXPERIMENT, [f"out={tmp_path / 'run'}", "budget.queries=12", "batch_size=3", *QUIET, *args]
    )
    loop = build_search(config)
    space, strategy = loop.space, loop.strategy
    counts = {"asked": 0, "outside_ask": 0}
    asking = [False]
    canonical_id, ask = space.canonical_id, strategy.ask

    def counting_canonical_id(arch):
        if not asking[0]:
            counts["outside_ask"] += 1
        return canonical_id(arch)

    def counting_ask(n: int):
        asking[0] = True
        try:
            archs = ask(n)
        finally:
            asking[0] = False
        counts["asked"] += len(archs)
        return archs

    monkeypatch.setattr(space, "canonical_id", counting_canonical_id)
    monkeypatch.setattr(strategy, "ask", counting_ask)
    summary = loop.run()
    assert summary["queries"] == 12
    return counts["asked"], counts["outside_ask"]


@pytest.mark.parametrize(
    "args",
    [
        ("strategy=random",),
        (
            "strategy=evolution",
            "strategy.params.population_size=4",
            "strategy.params.sample_size=2",
        ),
        ("strategy=prior",),
        ("strategy=prior", "objective.mode=pareto"),
        ("strategy=graphpnas", f"strategy.params={GRAPHPNAS}"),
    ],
    ids=["random", "evolution", "prior", "pareto", "graphpnas"],
)
def test_each_proposal_is_hashed_once_outside_the_strategys_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    asked, hashed = counted_run(tmp_path, monkeypatch, *args)
    assert asked >= 12 and hashed == asked


@pytest.mark.parametrize(
    "args",
    [("strategy=prior",), ("strategy=graphpnas", f"strategy.params={GRAPHPNAS}")],
    ids=["prior", "graphpnas"],
)
def test_no_proposal_identity_is_computed_twice_in_a_search_ask_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """The strategies hash candidates inside `ask` (to skip known cells) and the loop identifies
    the proposals: the identity is computed once and carried by the architecture object."""
    config = load_search_config(
        EXPERIMENT, [f"out={tmp_path / 'run'}", "budget.queries=12", "batch_size=3", *QUIET, *args]
    )
    loop = build_search(config)
    space, strategy = loop.space, loop.strategy
    computed: dict[int, int] = {}
    proposals: list = []
    compute, ask = space.compute_canonical_id, strategy.ask

    def counting_compute(arch):
        computed[id(arch)] = computed.get(id(arch), 0) + 1
        return compute(arch)

    def recording_ask(n: int):
        archs = ask(n)
        proposals.extend(archs)  # kept alive, so their ids stay unique
        return archs

    monkeypatch.setattr(space, "compute_canonical_id", counting_compute)
    monkeypatch.setattr(strategy, "ask", recording_ask)
    assert loop.run()["queries"] == 12
    assert len(proposals) >= 12
    assert [computed.get(id(arch), 0) for arch in proposals] == [1] * len(proposals)
