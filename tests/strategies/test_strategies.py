"""Strategies: the ask/tell contract for every registered strategy, and evolution's rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.evolution import RegularizedEvolution
from graphnas.strategies.random_search import RandomSearch

SPACE = load_space("nb201")
EVALUATOR = NB201TableEvaluator(SPACE)


def build(name: str, seed: int, **params):
    return STRATEGIES.build(
        name, params, {"space": SPACE, "seed": seed, "device": torch.device("cpu")}
    )


def drive(strategy, rounds: int, batch: int = 4) -> list[str]:
    """Ask/tell for `rounds` rounds; the encodings of everything proposed."""
    proposed = []
    for _ in range(rounds):
        archs = strategy.ask(batch)
        assert len(archs) == batch
        proposed += [SPACE.encode(a) for a in archs]
        strategy.tell(archs, EVALUATOR.evaluate(archs))
    return proposed


# The differentiable strategies propose one derived cell per ask (tested in
# tests/strategies/test_differentiable.py: determinism, state round trip).

ASK_TELL_STRATEGIES = [
    name for name in STRATEGIES.names() if name not in {"darts", "gdas", "stacnas", "proxyless"}
]


@pytest.mark.parametrize("name", ASK_TELL_STRATEGIES)
def test_proposals_are_valid_and_deterministic_under_a_seed(name: str) -> None:
    first = drive(build(name, seed=3), rounds=10)
    assert first == drive(build(name, seed=3), rounds=10)
    assert first != drive(build(name, seed=4), rounds=10)
    assert all(SPACE.is_valid(SPACE.decode(code)) for code in first)


@pytest.mark.parametrize("name", ASK_TELL_STRATEGIES)
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    original = build(name, seed=5)
    drive(original, rounds=8)
    state = original.state_dict()
    clone = build(name, seed=99)
    clone.load_state_dict(state)
    assert drive(clone, rounds=8) == drive(original, rounds=8)


@pytest.mark.parametrize("cls", [RandomSearch, RegularizedEvolution])
def test_builtin_state_is_plain_json(cls) -> None:
    strategy = cls(SPACE, seed=1)
    drive(strategy, rounds=6)
    state = strategy.state_dict()
    restored = cls(SPACE, seed=2)
    restored.load_state_dict(json.loads(json.dumps(state)))
    assert drive(restored, rounds=3) == drive(strategy, rounds=3)


def test_random_search_draws_from_the_space_prior() -> None:
    strategy = RandomSearch(SPACE, seed=0)
    archs = strategy.ask(2000)
    ops = np.array([SPACE.to_ops(a) for a in archs])
    # Uniform over 5 ops on each of 6 edges.
    for edge in range(6):
        counts = np.unique(ops[:, edge], return_counts=True)[1]
        assert len(counts) == 5 and counts.min() > 330 and counts.max() < 470


def hamming(a: str, b: str) -> int:
    ops_a, ops_b = SPACE.to_ops(SPACE.decode(a)), SPACE.to_ops(SPACE.decode(b))
    return sum(x != y for x, y in zip(ops_a, ops_b, strict=True))


def test_evolution_children_are_one_mutation_from_a_population_member() -> None:
    strategy = RegularizedEvolution(SPACE, seed=0, population_size=10, sample_size=3)
    drive(strategy, rounds=1, batch=10)  # the initial population
    for _ in range(20):
        members = [SPACE.encode(a) for a, _ in strategy.population]
        (child,) = strategy.ask(1)
        code = SPACE.encode(child)
        assert any(hamming(code, m) == 1 for m in members)
        strategy.tell([child], EVALUATOR.evaluate([child]))
        assert len(strategy.population) == 10


def test_evolution_ages_out_the_oldest_and_selects_the_fittest() -> None:
    strategy = RegularizedEvolution(SPACE, seed=0, population_size=5, sample_size=5)
    archs = strategy.ask(5)
    rewards = [10.0, 50.0, 20.0, 30.0, 40.0]
    strategy.tell(archs, [EvalResult(r) for r in rewards])
    best = archs[1]
    # Tournament over the whole population: every child mutates the best member.
    for child in strategy.ask(20):
        assert hamming(SPACE.encode(child), SPACE.encode(best)) == 1
    newcomer = strategy.ask(1)
    strategy.tell(newcomer, [EvalResult(0.0)])
    assert [fit for _, fit in strategy.population] == [50.0, 20.0, 30.0, 40.0, 0.0]


def test_evolution_never_picks_a_failed_member_while_one_scored() -> None:
    strategy = RegularizedEvolution(SPACE, seed=1, population_size=4, sample_size=4)
    archs = strategy.ask(4)
    strategy.tell(archs, [EvalResult.failure("x")] * 3 + [EvalResult(1.0)])
    for child in strategy.ask(10):
        assert hamming(SPACE.encode(child), SPACE.encode(archs[3])) == 1


def test_evolution_rejects_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="sample_size"):
        RegularizedEvolution(SPACE, population_size=3, sample_size=5)
    with pytest.raises(ConfigError, match="population_size"):
        RegularizedEvolution(SPACE, population_size=0)


def test_tell_needs_one_result_per_architecture() -> None:
    for strategy in (RandomSearch(SPACE), RegularizedEvolution(SPACE)):
        with pytest.raises(ValueError, match="results"):
            strategy.tell(strategy.ask(2), [EvalResult(1.0)])
