"""Generator-driven strategies (graphpnas, reinforce_lstm) and the fixed-prior baseline."""

from __future__ import annotations

import io
import math
import statistics

import numpy as np
import pytest
import torch

from graphnas.config import BudgetConfig
from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.evaluators.pool import SerialPool
from graphnas.search import SearchLoop
from graphnas.search.checkpoint import decode_state, encode_state
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.graphpnas import GraphPNASStrategy
from graphnas.strategies.prior import PriorSearch
from graphnas.strategies.reinforce_lstm import ReinforceLSTMStrategy

NB201 = load_space("nb201")
FAST = {"pool": 16, "warmup": 6}


class CountingReward:
    """A synthetic evaluator: reward = number of edges with op `op` (NB201) or of nodes with it."""

    def __init__(self, op: str) -> None:
        self.op = op

    def evaluate(self, archs):
        results = []
        for arch in archs:
            count = sum(e.op == self.op for e in arch.edges) + sum(
                n.op == self.op for n in arch.nodes
            )
            results.append(EvalResult(float(count) + 0.01 * arch.num_edges))
        return results


def search(space, strategy, evaluator, queries: int) -> dict:
    loop = SearchLoop(space, strategy, SerialPool(evaluator), BudgetConfig(queries=queries))
    return loop.run()


def test_strategies_are_registered() -> None:
    for name in ("graphpnas", "reinforce_lstm", "prior"):
        assert name in STRATEGIES


@pytest.mark.parametrize("cls", [GraphPNASStrategy, ReinforceLSTMStrategy])
def test_never_proposes_a_known_network(cls) -> None:
    strategy = cls(NB201, seed=0, **FAST)
    evaluator = NB201TableEvaluator(NB201)
    summary = search(NB201, strategy, evaluator, queries=40)
    assert summary["queries"] == 40 and summary["duplicates"] == 0
    hashes = [e.hash for e in strategy.history.entries]
    assert len(set(hashes)) == len(hashes) == 40
    assert strategy.updates == 40 - FAST["warmup"] + 1


def test_warmup_draws_from_the_prior_before_any_update() -> None:
    strategy = GraphPNASStrategy(
        NB201, seed=1, warmup=8, pool=8, update={"name": "elite", "steps": 1}
    )
    before = {k: v.clone() for k, v in strategy.model.state_dict().items()}
    evaluator = NB201TableEvaluator(NB201)
    for _ in range(7):
        archs = strategy.ask(1)
        strategy.tell(archs, evaluator.evaluate(archs))
    assert strategy.updates == 0
    for key, value in strategy.model.state_dict().items():
        assert torch.equal(value, before[key])
    archs = strategy.ask(1)
    strategy.tell(archs, evaluator.evaluate(archs))
    assert strategy.updates == 1


@pytest.mark.parametrize(
    "params",
    [
        {"update": {"name": "elite", "steps": 4, "top_k": 5}},
        {"update": {"name": "reinforce", "steps": 2, "entropy_weight": 0.0, "replay_weight": 1.0}},
        {"update": {"name": "tempered", "tau": 0.1}},
    ],
)
def test_generator_learns_the_rewarded_op(params) -> None:
    """After 50 queries rewarding conv3x3 edges, the generator's samples carry many more of them
    than the uniform prior (6 edges x 1/5 = 1.2 per cell)."""
    torch.manual_seed(0)
    strategy = GraphPNASStrategy(NB201, seed=2, warmup=8, pool=16, lr=0.02, **params)
    search(NB201, strategy, CountingReward("nor_conv_3x3"), queries=50)
    samples = strategy.model.sample(200, generator=torch.Generator().manual_seed(0)).archs
    mean = statistics.mean(sum(e.op == "nor_conv_3x3" for e in a.edges) for a in samples)
    assert mean > 2.5


def test_reinforce_baseline_is_in_the_units_of_the_reward() -> None:
    evaluator = NB201TableEvaluator(NB201)
    for reward, low, high in (("cdf", 0.0, 1.0), ("raw", 50.0, 95.0)):
        strategy = GraphPNASStrategy(
            NB201, seed=3, update={"name": "reinforce", "reward": reward}, warmup=4, pool=8
        )
        search(NB201, strategy, evaluator, queries=10)
        assert low <= strategy.rule.baseline <= high


def test_nb101_prior_draws_are_learned_in_their_pruned_form() -> None:
    space = load_space("nb101")
    strategy = GraphPNASStrategy(space, seed=0, warmup=10, pool=16)
    summary = search(space, strategy, CountingReward("conv3x3-bn-relu"), queries=20)
    assert summary["queries"] == 20 and summary["duplicates"] == 0
    forms = [strategy.trainable(e) for e in strategy.history.entries]
    assert all(f is not None for f in forms)
    assert all(space.is_valid(f) and f.prune() == f for f in forms)
    assert any(f != e.arch for f, e in zip(forms, strategy.history.entries, strict=True))


def test_randwire_search_runs_and_state_survives_a_checkpoint() -> None:
    space = load_space({"kind": "randwire", "name": "rw", "stage_nodes": [8, 8]})

    class EdgeCount:
        def evaluate(self, archs):
            return [EvalResult(float(a.num_edges)) for a in archs]

    strategy = GraphPNASStrategy(space, seed=0, warmup=4, pool=8)
    search(space, strategy, EdgeCount(), queries=8)
    buffer = io.BytesIO()
    torch.save(encode_state(strategy.state_dict()), buffer)
    buffer.seek(0)
    state = decode_state(torch.load(buffer, weights_only=True))
    clone = GraphPNASStrategy(space, seed=9, warmup=4, pool=8)
    clone.load_state_dict(state)
    ask = [space.encode(a) for a in strategy.ask(3)]
    assert [space.encode(a) for a in clone.ask(3)] == ask


def test_elite_with_reinit_refits_a_fresh_generator_when_the_elite_changes() -> None:
    rule = {"name": "elite", "steps": 2, "idle_steps": 0, "top_k": 2, "reinit": True}
    strategy = GraphPNASStrategy(NB201, seed=0, warmup=3, pool=8, update=rule)
    evaluator = NB201TableEvaluator(NB201)
    refits, elite_changes = [], []
    for query in range(14):
        archs = strategy.ask(1)
        model, elite = strategy.model, [e.hash for e in strategy.history.top(2)]
        strategy.tell(archs, evaluator.evaluate(archs))
        if query >= 3:  # after the warm-up: every tell updates
            refits.append(strategy.model is not model)
            elite_changes.append([e.hash for e in strategy.history.top(2)] != elite)
    assert refits == elite_changes
    assert any(refits) and not all(refits)


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="update"):
        GraphPNASStrategy(NB201, update="ppo")
    with pytest.raises(ConfigError, match="update rule 'elite' takes no option baseline_decay"):
        GraphPNASStrategy(NB201, update={"name": "elite", "baseline_decay": 0.5})
    assert GraphPNASStrategy(NB201, update={"top_k": 3}).rule.options.top_k == 3  # elite
    with pytest.raises(ConfigError, match="propose"):
        GraphPNASStrategy(NB201, propose="best")
    with pytest.raises(ConfigError, match="reward"):
        GraphPNASStrategy(NB201, update={"name": "reinforce", "reward": "log"})
    with pytest.raises(ConfigError, match="generator options"):
        GraphPNASStrategy(NB201, generator={"width": 3})


# ---------------------------------------------------------------------- fixed priors
def test_prior_search_never_repeats_and_follows_the_chosen_randwire_model() -> None:
    space = load_space({"kind": "randwire", "name": "rw", "stage_nodes": [16]})
    er = PriorSearch(space, seed=0, model="er")
    ws = PriorSearch(space, seed=0, model="ws")
    er_edges = [a.num_edges for a in er.ask(40)]
    ws_edges = [a.num_edges for a in ws.ask(40)]
    assert set(ws_edges) == {32}  # WS(k=4) keeps n * k / 2 edges
    assert statistics.mean(er_edges) == pytest.approx(0.2 * 120, rel=0.25)
    hashes = {space.canonical_hash(a) for a in ws.ask(20)}
    assert len(hashes) == 20


def test_prior_search_checks_its_options() -> None:
    with pytest.raises(ConfigError, match="randwire"):
        PriorSearch(NB201, model="ws")
    with pytest.raises(ConfigError, match="ws, er, ba"):
        PriorSearch(load_space("randwire_small"), model="sw")
    with pytest.raises(ConfigError, match="either"):
        PriorSearch(load_space("randwire_small"), model="ws", prior={"model": "er", "p": 0.1})


def test_prior_search_on_nb201_is_uniform_and_novel() -> None:
    strategy = PriorSearch(NB201, seed=0)
    summary = search(NB201, strategy, NB201TableEvaluator(NB201), queries=300)
    assert summary["duplicates"] == 0
    ops = np.array([NB201.to_ops(e.arch) for e in strategy.history.entries])
    none_share = float((ops == "none").mean())
    assert math.isclose(none_share, 0.2, abs_tol=0.05)


# ---------------------------------------------------------------------- released distribution
RELEASE = {"name": "tempered", "dream": 64, "dream_temperature": 2.0, "dream_confidence": 1.0}


def sample_entropy(model) -> float:
    """Monte-Carlo entropy (nats) of `model` from 2,000 seeded samples."""
    return float(-model.sample(2000, torch.Generator().manual_seed(0)).log_prob.mean())


def test_release_refines_a_copy_and_leaves_the_search_untouched() -> None:
    evaluator = NB201TableEvaluator(NB201)
    options = {**FAST, "update": {"name": "elite", "top_k": 3}}
    plain = GraphPNASStrategy(NB201, seed=0, **options)
    released = GraphPNASStrategy(NB201, seed=0, **options, release=RELEASE, release_rounds=3)
    assert released.distribution() is released.model  # the warm-up is not in yet
    for query in range(20):
        for strategy in (plain, released):
            archs = strategy.ask(1)
            strategy.tell(archs, evaluator.evaluate(archs))
        if query in (8, 14):
            released.distribution()
    assert [e.hash for e in released.history.entries] == [e.hash for e in plain.history.entries]
    assert plain.distribution() is plain.model
    first, second = released.distribution(), released.distribution()
    assert first is not released.model
    for name, value in released.model.state_dict().items():
        assert torch.equal(value, plain.model.state_dict()[name])
        assert torch.equal(first.state_dict()[name], second.state_dict()[name])
    assert sample_entropy(first) > sample_entropy(released.model) + 0.5


def test_release_options_are_checked_and_a_mapping_without_a_name_is_tempered() -> None:
    assert GraphPNASStrategy(NB201, release={"dream": 8}).release.name == "tempered"
    assert GraphPNASStrategy(NB201, release="elite").release.name == "elite"
    with pytest.raises(ConfigError, match="update rule 'tempered' takes no option top_k"):
        GraphPNASStrategy(NB201, release={"top_k": 5})
    with pytest.raises(ConfigError, match="release_rounds: must be >= 1, got 0"):
        GraphPNASStrategy(NB201, release=RELEASE, release_rounds=0)


def test_a_reinforce_release_learns_from_the_whole_history_afresh_each_call() -> None:
    evaluator = NB201TableEvaluator(NB201)
    release = {"name": "reinforce", "steps": 5, "entropy_weight": 0.0}
    strategy = GraphPNASStrategy(
        NB201, seed=0, **FAST, update={"name": "elite", "top_k": 3}, release=release
    )
    for _ in range(20):
        archs = strategy.ask(1)
        strategy.tell(archs, evaluator.evaluate(archs))
    first, second = strategy.distribution(), strategy.distribution()
    moved = [
        not torch.equal(v, strategy.model.state_dict()[k]) for k, v in first.state_dict().items()
    ]
    assert any(moved)  # the rule is told the ledger, so it trains
    for name, value in first.state_dict().items():  # no baseline carried from the first call
        assert torch.equal(value, second.state_dict()[name])
    ranked = sorted(strategy.history.entries, key=lambda e: e.reward)
    best, worst = [e.arch for e in ranked[-5:]], [e.arch for e in ranked[:5]]
    with torch.no_grad():
        gain_best = float((first.score(best)[0] - strategy.model.score(best)[0]).mean())
        gain_worst = float((first.score(worst)[0] - strategy.model.score(worst)[0]).mean())
    assert gain_best > gain_worst
