"""Update rules: registry, per-rule options and errors, the rules' weights and updates, metrics."""

from __future__ import annotations

import math

import pytest
import torch

from graphnas.config import load_search_config
from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.generators import GraphPNASGenerator
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.history import History
from graphnas.strategies.update_rules import UPDATE_RULES, UpdateContext, build_update_rule
from graphnas.strategies.update_rules.elite import Elite
from graphnas.strategies.update_rules.reinforce import Reinforce
from graphnas.strategies.update_rules.tempered import Tempered, rank_weights

NB201 = load_space("nb201")
RECIPE = "experiments/nb201.yaml"


def test_the_registry_lists_every_rule_with_a_config_dataclass() -> None:
    assert UPDATE_RULES.names() == ["elite", "reinforce", "tempered"]
    for name in UPDATE_RULES.names():
        cls = UPDATE_RULES.get(name)
        assert cls.name == name and isinstance(build_update_rule(name).options, cls.config)


def test_a_rule_takes_its_options_from_a_mapping_and_keeps_its_defaults() -> None:
    rule = build_update_rule({"name": "elite", "top_k": 3})
    assert isinstance(rule, Elite)
    assert (rule.options.top_k, rule.options.steps) == (3, Elite.config().steps)
    assert isinstance(build_update_rule("reinforce"), Reinforce)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("ppo", "'ppo' is not one of elite, reinforce, tempered"),
        (
            {"name": "tempered", "idle_steps": 1},
            "update rule 'tempered' takes no option idle_steps",
        ),
        ({"name": "elite", "top_k": "five"}, "update rule 'elite': option top_k must be int"),
        ({"top_k": 3}, "needs a rule name"),
        ({"name": "reinforce", "baseline_decay": 1.0}, "baseline_decay must be in [0, 1)"),
        ({"name": "tempered", "tau": 0.0}, "tau must be > 0"),
        ({"name": "elite", "steps": 0}, "steps must be >= 1"),
        ({"name": "elite", "idle_steps": -1}, "update rule 'elite': idle_steps must be >= 0"),
        ({"name": "reinforce", "reward": "log"}, "update rule 'reinforce': reward 'log' is not"),
        ({"name": "tempered", "dream": -2}, "update rule 'tempered': dream must be >= 0, got -2"),
        (3, "expected a rule name or a mapping"),
    ],
)
def test_bad_rules_and_options_are_one_line_config_errors(spec, needle) -> None:
    with pytest.raises(ConfigError) as info:
        build_update_rule(spec)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_unset_options_and_values_on_a_bound_pass() -> None:
    rule = build_update_rule({"name": "elite", "idle_steps": 0, "grad_clip": None})
    assert (rule.options.idle_steps, rule.options.grad_clip) == (0, None)
    assert (
        build_update_rule({"name": "reinforce", "baseline_decay": 0.0}).options.baseline_decay == 0
    )


def test_the_error_lists_the_options_the_rule_takes() -> None:
    with pytest.raises(ConfigError, match="its options: tau, entropy_weight, steps, dream,"):
        build_update_rule({"name": "tempered", "top_k": 5})


@pytest.mark.parametrize("rule", ["reinforce", "elite", "tempered"])
def test_a_rule_name_alone_works_on_the_shipped_recipe(rule) -> None:
    config = load_search_config(RECIPE, [f"strategy.params.update={rule}"])
    strategy = STRATEGIES.build(
        config.strategy.name, config.strategy.params, {"space": NB201, "seed": 0}
    )
    assert strategy.rule.name == rule


def test_rank_weights_match_hand_computed_values() -> None:
    weights = rank_weights([1.0, 0.5], tau=0.5)
    assert weights == pytest.approx([1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))])
    assert sum(rank_weights([0.2, 0.4, 1.0], tau=0.1)) == pytest.approx(1.0)


def test_elite_weights_are_ranks_and_fresh_generators_need_reinit() -> None:
    rule = build_update_rule({"name": "elite", "top_k": 4})
    assert rule.weights([None] * 4) == [1.0, 0.75, 0.5, 0.25]
    history = History(NB201)
    assert not rule.wants_fresh_generator(history, lambda e: e.arch)
    refit = build_update_rule({"name": "elite", "reinit": True})
    history.record([NB201.example()], [EvalResult(1.0)])
    assert refit.wants_fresh_generator(history, lambda e: e.arch)


def context_of(history: History) -> UpdateContext:
    """Every entry is new and learned from as it is; a seeded sampling stream."""
    return UpdateContext(
        history, history.entries, lambda e: e.arch, torch.Generator().manual_seed(0)
    )


def told_history(n: int) -> History:
    """n distinct NB201 cells rewarded by their index (the last is the best)."""
    history = History(NB201)
    cells = list(NB201.enumerate())[:: 15625 // n][:n]
    history.record(cells, [EvalResult(float(i)) for i in range(n)])
    return history


def test_tempered_trains_on_every_graph_favouring_the_best_and_reports_metrics() -> None:
    torch.manual_seed(0)
    model = GraphPNASGenerator(NB201, hidden=8, layers=1, mixtures=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = told_history(8)
    rule = Tempered(Tempered.config(tau=0.25, entropy_weight=0.0, steps=30, dream=0))
    archs = [e.arch for e in history.entries]
    before = model.log_prob(archs).detach()
    metrics = rule.update(model, optimizer, context_of(history))
    gain = model.log_prob(archs).detach() - before
    assert gain[-1] > gain[0] > 0  # every graph gains, the best most
    assert set(metrics) == {"effective_targets", "dreams", "loss", "nll", "entropy"}
    weights = rank_weights([(i + 1) / 8 for i in range(8)], 0.25)
    assert metrics["effective_targets"] == pytest.approx(1 / sum(w * w for w in weights))


def test_the_entropy_term_keeps_the_tempered_distribution_broader() -> None:
    history = told_history(6)
    entropies = []
    for weight in (0.0, 0.5):
        torch.manual_seed(0)
        model = GraphPNASGenerator(NB201, hidden=8, layers=1, mixtures=2)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        rule = Tempered(Tempered.config(tau=0.1, entropy_weight=weight, steps=40))
        rule.update(model, optimizer, context_of(history))
        samples = model.sample(2000, torch.Generator().manual_seed(0))
        entropies.append(float(-samples.log_prob.mean()))
    assert entropies[1] > entropies[0] + 0.5


def test_reinforce_baseline_is_an_exponential_average_of_rank_rewards() -> None:
    model = GraphPNASGenerator(NB201, hidden=8, layers=1, mixtures=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = told_history(4)
    rule = build_update_rule({"name": "reinforce", "baseline_decay": 0.5})
    metrics = rule.update(model, optimizer, context_of(history))
    mean = (0.25 + 0.5 + 0.75 + 1.0) / 4  # the first batch's mean is also the first baseline
    assert rule.baseline == pytest.approx(mean) and metrics["advantage"] == pytest.approx(0.0)
    assert rule.state_dict() == {"baseline": pytest.approx(mean)}


def test_strategy_metrics_are_the_last_updates_numbers() -> None:
    strategy = STRATEGIES.build(
        "graphpnas", {"warmup": 2, "pool": 8, "update": "tempered"}, {"space": NB201, "seed": 0}
    )
    evaluator = NB201TableEvaluator(NB201)
    assert strategy.metrics() == {}
    for _ in range(3):
        archs = strategy.ask(1)
        strategy.tell(archs, evaluator.evaluate(archs))
    metrics = strategy.metrics()
    assert {"loss", "entropy", "fresh_generator"} <= set(metrics)
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())


def test_dreams_add_surrogate_ranked_unseen_samples_to_the_targets() -> None:
    from graphnas.strategies.surrogate import Surrogate

    torch.manual_seed(0)
    model = GraphPNASGenerator(NB201, hidden=8, layers=1, mixtures=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = told_history(8)
    context = context_of(history)
    context.surrogate = Surrogate(model.structure)
    rule = Tempered(Tempered.config(dream=64, steps=1))
    metrics = rule.update(model, optimizer, context)
    assert 0 < metrics["dreams"] <= 64
    assert metrics["effective_targets"] > 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    ["complete", "enas_macro", {"kind": "randwire", "name": "rw", "stage_nodes": [8, 8]}],
)
def test_tempered_learns_on_every_generator_space(spec) -> None:
    """Reward = edge count: after 16 queries the tempered generator's samples have more edges
    than the untrained generator's, and every proposal was a new network."""
    from graphnas.strategies.graphpnas import GraphPNASStrategy

    space = load_space(spec)

    class Edges:
        def evaluate(self, archs):
            return [EvalResult(float(a.num_edges)) for a in archs]

    strategy = GraphPNASStrategy(space, seed=0, warmup=4, pool=8, update={"name": "tempered"})
    rng = torch.Generator().manual_seed(0)
    before = [a.num_edges for a in strategy.model.sample(200, rng).archs]
    hashes = set()
    for _ in range(16):
        archs = strategy.ask(1)
        strategy.tell(archs, Edges().evaluate(archs))
        hashes.add(space.canonical_hash(archs[0]))
    after = [a.num_edges for a in strategy.model.sample(200, rng).archs]
    assert len(hashes) == 16
    assert sum(after) / 200 > sum(before) / 200


class FixedSurrogate:
    """A fitted-looking surrogate predicting the same mean for every graph and a std that grows
    with the graph's edge count (a stand-in for distance from the evaluations)."""

    def __init__(self, mean: float) -> None:
        self.mean = mean

    def fit(self, pairs) -> bool:
        return True

    def predict(self, archs) -> tuple[torch.Tensor, torch.Tensor]:
        std = torch.tensor([float(a.num_edges) for a in archs], dtype=torch.float64)
        return torch.full((len(archs),), self.mean, dtype=torch.float64), std


def test_dream_confidence_ranks_dreams_by_the_lower_confidence_bound() -> None:
    """Equal predicted means: with confidence 0 every dream gets the mean's rank; with
    confidence 1 a dream's rank falls as its uncertainty grows."""
    model = GraphPNASGenerator(NB201, hidden=8, layers=1, mixtures=2)
    history = told_history(8)  # rewards 0..7
    ranks = {}
    for confidence in (0.0, 1.0):
        context = context_of(history)
        context.surrogate = FixedSurrogate(mean=6.5)
        rule = Tempered(Tempered.config(dream=64, dream_confidence=confidence))
        dreams, dream_ranks = rule._dreams(
            model, context, rule.learnable(history.entries, lambda e: e.arch)
        )
        ranks[confidence] = list(zip([d.num_edges for d in dreams], dream_ranks, strict=True))
    assert {rank for _, rank in ranks[0.0]} == {history.rank_reward(6.5)}
    by_edges = sorted(ranks[1.0])
    assert len({rank for _, rank in by_edges}) > 1
    assert all(rank == history.rank_reward(6.5 - edges) for edges, rank in by_edges)


@pytest.mark.parametrize(
    "override",
    [
        "strategy.params.update={name: reinforce, steps: 2}",
        "strategy.params.update.name=reinforce",
    ],
)
def test_renaming_the_recipes_rule_replaces_its_options(override) -> None:
    config = load_search_config(RECIPE, [override, "strategy.params.update.steps=2"])
    assert config.strategy.params["update"] == {"name": "reinforce", "steps": 2}
    strategy = STRATEGIES.build(
        config.strategy.name, config.strategy.params, {"space": NB201, "seed": 0}
    )
    assert (strategy.rule.name, strategy.rule.options.steps) == ("reinforce", 2)


def test_overriding_the_same_rule_merges_into_its_options() -> None:
    config = load_search_config(RECIPE, ["strategy.params.update={name: elite, top_k: 3}"])
    assert config.strategy.params["update"] == {
        "name": "elite",
        "top_k": 3,
        "steps": 10,
        "idle_steps": 1,
    }


def test_renaming_the_recipes_release_rule_replaces_its_options() -> None:
    released = load_search_config(RECIPE, ["strategy.params.release={name: elite}"])
    assert released.strategy.params["release"] == {"name": "elite"}
