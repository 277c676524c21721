"""The proposal surrogate: decision features, GP regression, expected improvement, proposals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.generators.structure import GenerationStructure
from graphnas.spaces import load_space
from graphnas.strategies.generator_strategy import MUTANT_PARENTS
from graphnas.strategies.graphpnas import GraphPNASStrategy
from graphnas.strategies.surrogate import (
    GaussianProcess,
    decision_features,
    expected_improvement,
)

NB201 = load_space("nb201")
STRUCTURE = GenerationStructure(NB201)


def test_features_are_one_hot_decisions_then_op_counts() -> None:
    base = ["nor_conv_3x3"] * 6
    one = ["skip_connect", *base[1:]]  # a label change: 2 one-hot, 2 count
    two = ["none", "avg_pool_3x3", *base[2:]]  # an edge removed, a label changed: 4 + 5
    swapped = [base[0], "skip_connect", *base[2:]]  # `one` wired differently: 4 + 0 from `one`
    x = decision_features(STRUCTURE, [NB201.from_ops(o) for o in (base, one, two, swapped)])
    labels = STRUCTURE.edge_vocab
    assert x.shape == (4, 6 + 6 * 4 + len(labels)) and x.dtype == torch.float64
    counts = x[:, -len(labels) :]
    for row, ops in zip(counts, (base, one, two, swapped), strict=True):
        assert row.tolist() == [float(ops.count(label)) for label in labels]
    assert set(x[:, : -len(labels)].unique().tolist()) == {0.0, 1.0}
    squared = torch.cdist(x, x).square()
    assert squared[0, 1:3].tolist() == pytest.approx([4.0, 9.0])
    assert float(squared[1, 3]) == pytest.approx(4.0)


def test_features_of_randwire_stages_have_one_fixed_width() -> None:
    space = load_space("randwire_small")
    structure = GenerationStructure(space)
    rng = np.random.default_rng(0)
    x = decision_features(structure, [space.sample_prior(rng) for _ in range(3)])
    assert x.shape[0] == 3 and x.shape[1] > 3 * 32 and bool((x.sum(1) > 0).all())


def test_the_gp_interpolates_its_data_and_is_unsure_far_from_it() -> None:
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    gp = GaussianProcess(noise=1e-6).fit(x, y)
    mean, std = gp.predict(x)
    assert mean.tolist() == pytest.approx(y.tolist(), abs=1e-3)
    far_mean, far_std = gp.predict(torch.tensor([[30.0, 30.0]], dtype=torch.float64))
    assert float(far_std) > 10 * float(std.max())
    assert float(far_mean) == pytest.approx(float(y.mean()), abs=1e-6)


def test_expected_improvement_matches_the_closed_form() -> None:
    ei = expected_improvement(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.5]), best=1.0)
    phi0 = 1 / math.sqrt(2 * math.pi)
    z = 2.0  # (2 - 1) / 0.5
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    expected = 0.5 * (z * cdf + math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    assert ei.tolist() == pytest.approx([phi0, expected])


def test_surrogate_proposals_are_novel_valid_and_deterministic() -> None:
    evaluator = NB201TableEvaluator(NB201)

    def run() -> list[str]:
        strategy = GraphPNASStrategy(NB201, seed=4, warmup=5, pool=16, propose="surrogate")
        codes = []
        for _ in range(15):
            archs = strategy.ask(1)
            strategy.tell(archs, evaluator.evaluate(archs))
            codes.append(NB201.encode(archs[0]))
        return codes

    codes = run()
    assert len(set(codes)) == 15 and run() == codes


def test_mutants_are_unseen_single_mutations_of_the_best_cells() -> None:
    evaluator = NB201TableEvaluator(NB201)
    strategy = GraphPNASStrategy(NB201, seed=1, warmup=8, propose="surrogate", mutants=40)
    for _ in range(10):
        archs = strategy.ask(1)
        strategy.tell(archs, evaluator.evaluate(archs))
    best = sorted(strategy.history.entries, key=lambda e: -e.reward)[:MUTANT_PARENTS]
    parents = [NB201.to_ops(e.arch) for e in best]
    mutants = strategy._novel_mutants([])
    assert 0 < len(mutants) <= 40 and len({d for _, d in mutants}) == len(mutants)
    for child, digest in mutants:
        assert not strategy.history.known(digest)
        code = NB201.to_ops(child)
        assert min(sum(a != b for a, b in zip(code, p, strict=True)) for p in parents) == 1


def test_mutants_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="mutants: must be >= 0"):
        GraphPNASStrategy(NB201, propose="surrogate", mutants=-1)
