"""Generators: valid by construction, sampler/scorer agreement, exact normalisation, entropy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from graphnas.generators import (
    GraphPNASGenerator,
    LSTMController,
    PriorSampler,
    generator_from_checkpoint,
)
from graphnas.generators.layers import GatedGRUConv
from graphnas.generators.structure import GenerationStructure
from graphnas.graph import ArchGraph, Edge, Node
from graphnas.spaces import load_space

SPACES = {
    "nb201": "nb201",
    "nb101": "nb101",
    "randwire": {"kind": "randwire", "name": "rw", "stage_nodes": [9, 6, 9]},
    "randwire32": {"kind": "randwire", "name": "rw32", "stage_nodes": [32]},
    "enas": "enas_macro",
    "complete": "complete",
}
GENERATOR_CLASSES = [GraphPNASGenerator, LSTMController]


def make(cls, space, seed: int = 0, scale: float = 0.0, device="cpu", **options):
    """A generator with weights from `seed`; `scale` adds noise so distributions are uneven."""
    torch.manual_seed(seed)
    model = cls(space, **options)
    if scale:
        with torch.no_grad():
            for p in model.parameters():
                p.add_(scale * torch.randn_like(p))
    return model.to(device)


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("cls", GENERATOR_CLASSES)
@pytest.mark.parametrize("key", list(SPACES))
def test_samples_are_valid_and_scores_match_the_sampler(cls, key, device) -> None:
    """float32: agreement to 1e-5 for weights of a realistic size (float64 test below)."""
    space = load_space(SPACES[key])
    model = make(cls, space, scale=0.1, device=device)
    n = 6 if key == "randwire32" else 24
    batch = model.sample(n, generator=torch.Generator(device=device).manual_seed(1))
    assert len(batch) == n and batch.log_prob.shape == (n,) and batch.entropy.shape == (n,)
    for arch in batch.archs:
        assert space.problems(arch) == []
    # Score in reverse order inside a larger batch: teacher forcing must agree with sampling.
    extra = model.sample(3, generator=torch.Generator(device=device).manual_seed(2)).archs
    order = list(range(n - 1, -1, -1))
    log_prob, entropy, supported = model.score([batch.archs[i] for i in order] + extra)
    back = torch.tensor(order).argsort()
    assert bool(supported.all())
    torch.testing.assert_close(log_prob[:n][back], batch.log_prob, atol=1e-5, rtol=0)
    torch.testing.assert_close(entropy[:n][back], batch.entropy, atol=1e-5, rtol=0)
    assert bool((batch.log_prob < 0).all()) and bool((batch.entropy > 0).all())


@pytest.mark.parametrize("cls", GENERATOR_CLASSES)
@pytest.mark.parametrize("key", list(SPACES))
def test_in_float64_sampler_and_scorer_agree_to_rounding(cls, key) -> None:
    space = load_space(SPACES[key])
    model = make(cls, space, scale=0.5).double()
    batch = model.sample(8, generator=rng(1))
    log_prob = model.log_prob(batch.archs[::-1])
    torch.testing.assert_close(log_prob.flip(0), batch.log_prob, atol=1e-9, rtol=0)


@pytest.mark.parametrize("cls", GENERATOR_CLASSES)
def test_sampling_is_deterministic_under_a_torch_generator(cls) -> None:
    space = load_space("nb101")
    model = make(cls, space, scale=0.3)
    first = model.sample(16, generator=rng(7))
    second = model.sample(16, generator=rng(7))
    other = model.sample(16, generator=rng(8))
    assert [a.to_json() for a in first.archs] == [a.to_json() for a in second.archs]
    assert [a.to_json() for a in first.archs] != [a.to_json() for a in other.archs]
    torch.testing.assert_close(first.log_prob, second.log_prob)


# ---------------------------------------------------------------------- exact normalisation
def nb101_encodings(space) -> list[ArchGraph]:
    """Every NB101 matrix + ops encoding with 2..max_nodes nodes."""
    ops = space.node_ops
    archs = []
    for n in range(2, space.max_nodes + 1):
        pairs = [(i, j) for j in range(n) for i in range(j)]
        for bits in itertools.product((0, 1), repeat=len(pairs)):
            matrix = [[0] * n for _ in range(n)]
            for (i, j), bit in zip(pairs, bits, strict=True):
                matrix[i][j] = bit
            for inner in itertools.product(ops, repeat=n - 2):
                archs.append(space.from_matrix(matrix, ["input", *inner, "output"]))
    return archs


def complete_encodings(space) -> list[ArchGraph]:
    n = space.num_nodes
    pairs = [(i, j) for j in range(n) for i in range(j)]
    archs = []
    for bits in itertools.product((0, 1), repeat=len(pairs)):
        edges = [pair for pair, bit in zip(pairs, bits, strict=True) if bit]
        for inner in itertools.product(space.node_ops, repeat=n - 2):
            archs.append(space.build(list(inner), edges))
    return archs


def enas_encodings(space) -> list[ArchGraph]:
    L = space.num_layers
    archs = []
    for ops in itertools.product(space.node_ops, repeat=L):
        for bits in itertools.product((0, 1), repeat=L * (L - 1) // 2):
            it = iter(bits)
            skips = [[next(it) for _ in range(i)] for i in range(L)]
            archs.append(space.from_arc(list(ops), skips))
    return archs


def randwire_encodings(space) -> list[ArchGraph]:
    per_stage = []
    for n in space.stage_nodes:
        pairs = [(i, j) for j in range(n) for i in range(j)]
        per_stage.append(
            [
                [p for p, b in zip(pairs, bits, strict=True) if b]
                for bits in itertools.product((0, 1), repeat=len(pairs))
            ]
        )
    return [space.from_stage_edges(list(combo)) for combo in itertools.product(*per_stage)]


SMALL_SPACES = {
    "nb201": ("nb201", lambda s: list(s.enumerate())),
    "nb101": ({"kind": "nb101", "name": "nb101s", "max_nodes": 4, "max_edges": 4}, nb101_encodings),
    "complete": (
        {"kind": "complete", "name": "c4", "num_nodes": 4, "ops": ["conv_3x3", "identity"]},
        complete_encodings,
    ),
    "enas": ({"kind": "enas", "name": "e3", "num_layers": 3}, enas_encodings),
    "randwire": (
        {
            "kind": "randwire",
            "name": "rw3",
            "stage_nodes": [3, 3],
            "prior": {"model": "er", "p": 0.5},
        },
        randwire_encodings,
    ),
}


def expected_support(key: str, space, arch: ArchGraph) -> bool:
    """What the masks admit: valid archs, and where in/out edges are required no dangling node."""
    if not space.is_valid(arch):
        return False
    if key in ("nb101", "complete"):
        preds, succs = arch.predecessors(), arch.successors()
        for i, node in enumerate(arch.nodes):
            if node.role != "input" and not preds[i]:
                return False
            if node.role != "output" and not succs[i]:
                return False
    return True


@pytest.mark.parametrize("cls", GENERATOR_CLASSES)
@pytest.mark.parametrize("key", list(SMALL_SPACES))
def test_probabilities_sum_to_one_over_exactly_the_valid_graphs(cls, key) -> None:
    spec, enumerate_all = SMALL_SPACES[key]
    space = load_space(spec)
    model = make(cls, space, seed=3, scale=0.7)
    archs = enumerate_all(space)
    with torch.no_grad():
        log_prob, _, supported = model.score(archs)
    expected = [expected_support(key, space, a) for a in archs]
    assert supported.tolist() == expected
    assert sum(expected) > 1
    total = torch.logsumexp(log_prob[supported].double(), 0)
    assert abs(float(total)) < 1e-4
    assert bool(torch.isneginf(log_prob[~supported]).all())


def test_probabilities_sum_to_one_at_any_temperature() -> None:
    space = load_space("nb201")
    model = make(GraphPNASGenerator, space, seed=1, scale=0.7)
    archs = list(space.enumerate())
    with torch.no_grad():
        cold = model.log_prob(archs, temperature=0.5)
        hot = model.log_prob(archs, temperature=2.0)
    assert abs(float(torch.logsumexp(cold.double(), 0))) < 1e-4
    assert abs(float(torch.logsumexp(hot.double(), 0))) < 1e-4
    # A colder distribution is more peaked: its entropy is lower.
    entropy = [-(lp.double().exp() * lp.double()).sum() for lp in (cold, hot)]
    assert entropy[0] < entropy[1]


def test_temperature_of_samples_matches_scoring_at_that_temperature() -> None:
    space = load_space("nb101")
    model = make(GraphPNASGenerator, space, scale=0.5)
    batch = model.sample(20, generator=rng(0), temperature=0.7)
    torch.testing.assert_close(model.log_prob(batch.archs, temperature=0.7), batch.log_prob)


def test_untrained_graphpnas_is_the_uniform_nb201_prior() -> None:
    space = load_space("nb201")
    model = GraphPNASGenerator(space)
    assert model.edge_init_prob == pytest.approx(0.8, abs=0.05)
    model = GraphPNASGenerator(space, edge_init_prob=0.8)
    torch.nn.init.zeros_(model.present_head.weight)
    with torch.no_grad():
        log_prob = model.log_prob(list(space.enumerate()))
    torch.testing.assert_close(log_prob, torch.full_like(log_prob, -math.log(15625)))


@pytest.mark.parametrize("mixtures", [1, 4])
def test_entropy_is_exact_for_one_component_and_an_upper_bound_otherwise(mixtures) -> None:
    space = load_space("nb201")
    model = make(GraphPNASGenerator, space, seed=2, scale=0.7, mixtures=mixtures)
    with torch.no_grad():
        log_prob, entropy, _ = model.score(list(space.enumerate()))
    p = log_prob.double().exp()
    true_entropy = float(-(p * log_prob.double()).sum())
    expected_entropy = float((p * entropy.double()).sum())  # E_p[sum of decision entropies]
    if mixtures == 1:
        assert expected_entropy == pytest.approx(true_entropy, abs=1e-3)
    else:
        assert expected_entropy >= true_entropy - 1e-4


# ---------------------------------------------------------------------- support and training
def test_graphs_outside_the_support_get_minus_infinity() -> None:
    space = load_space("nb101")
    model = make(GraphPNASGenerator, space)
    dangling = space.from_matrix(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
        ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
    )
    assert space.is_valid(dangling)
    good = dangling.prune()
    log_prob, _, supported = model.score([dangling, good])
    assert supported.tolist() == [False, True]
    assert math.isinf(float(log_prob[0].detach())) and math.isfinite(float(log_prob[1].detach()))
    assert model.supports([good, dangling]) == [True, False]


def test_maximum_likelihood_steps_raise_the_target_probability() -> None:
    space = load_space("nb201")
    model = make(GraphPNASGenerator, space)
    target = [
        space.decode(
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
        )
    ]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    before = float(model.log_prob(target)[0])
    for _ in range(12):
        loss = -model.log_prob(target).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = float(model.log_prob(target)[0])
    assert after > before + 3.0
    codes = [space.encode(a) for a in model.sample(100, generator=rng(0)).archs]
    assert codes.count(space.encode(target[0])) > 10


def test_checkpoint_round_trip_rebuilds_the_same_distribution(tmp_path) -> None:
    space = load_space(SPACES["randwire"])
    for cls in GENERATOR_CLASSES:
        model = make(cls, space, seed=4, scale=0.3)
        path = tmp_path / f"{cls.__name__}.pt"
        torch.save(model.to_checkpoint(), path)
        clone = generator_from_checkpoint(torch.load(path, weights_only=False))
        archs = model.sample(5, generator=rng(3)).archs
        torch.testing.assert_close(clone.log_prob(archs), model.log_prob(archs))


# ---------------------------------------------------------------------- structure and parts
def test_randwire_stages_are_generated_as_parallel_blocks() -> None:
    structure = GenerationStructure(load_space("randwire_small"))
    assert structure.num_blocks == 3 and structure.block_size == 32
    nb101 = GenerationStructure(load_space("nb101"))
    assert nb101.num_blocks == 1 and nb101.stop_index == len(nb101.node_vocab) - 1


@pytest.mark.parametrize("key", list(SPACES))
def test_encode_then_decode_returns_the_same_architecture(key) -> None:
    space = load_space(SPACES[key])
    structure = GenerationStructure(space)
    model = make(GraphPNASGenerator, space, scale=0.3)
    archs = model.sample(4, generator=rng(5)).archs
    tensors, problems = structure.encode(archs)
    assert problems == [[]] * 4
    assert structure.decode(tensors) == archs


def test_enas_chain_edges_are_always_present_and_labelled() -> None:
    space = load_space("enas_macro")
    model = make(LSTMController, space, scale=0.5)
    for arch in model.sample(10, generator=rng(1)).archs:
        ops = {(e.src, e.dst): e.op for e in arch.edges}
        for t in range(1, 12):
            assert ops[(t - 1, t)] in ("chain", "chain+skip")
        assert all(op == "skip" for (j, t), op in ops.items() if j < t - 1)


def test_nb101_samples_respect_the_edge_limit_under_a_dense_generator() -> None:
    space = load_space("nb101")
    model = GraphPNASGenerator(space, edge_init_prob=0.97)
    archs = model.sample(200, generator=rng(0)).archs
    assert max(a.num_edges for a in archs) == 9
    assert all(space.is_valid(a) and a.prune() == a for a in archs)


def test_gated_gru_conv_passes_messages_only_along_edges() -> None:
    torch.manual_seed(0)
    conv = GatedGRUConv(8, num_edge_types=3)
    sources, targets = torch.randn(5, 8), torch.randn(3, 8)
    edge_index = torch.tensor([[0, 1, 4], [0, 0, 2]])
    kinds = torch.tensor([0, 2, 1])
    out = conv(sources, targets, edge_index, kinds)
    assert out.shape == (3, 8)
    alone = conv.gru(torch.zeros(1, 8), targets[1:2])
    torch.testing.assert_close(out[1:2], alone)
    moved = sources.clone()
    moved[2] += 10.0  # node 2 sends nothing: outputs unchanged
    torch.testing.assert_close(conv(moved, targets, edge_index, kinds), out)
    # The per-node first layer equals an MLP on the concatenation [x_j, x_i, e_k].
    a = conv.source(sources[0]) + conv.target(targets[0]) + conv.edge_type.weight[0]
    gate, message = torch.relu(a).chunk(2)
    expected = torch.sigmoid(conv.gate_out(gate)) * conv.message_out(message)
    b = conv.source(sources[1]) + conv.target(targets[0]) + conv.edge_type.weight[2]
    gate, message = torch.relu(b).chunk(2)
    expected = expected + torch.sigmoid(conv.gate_out(gate)) * conv.message_out(message)
    torch.testing.assert_close(out[0], conv.gru(expected[None], targets[:1])[0])


def test_prior_sampler_draws_valid_archs_with_known_nb201_probability() -> None:
    space = load_space("nb201")
    batch = PriorSampler(space).sample(50, generator=rng(0))
    assert all(space.is_valid(a) for a in batch.archs)
    assert float(batch.log_prob[0]) == pytest.approx(-math.log(15625))
    again = PriorSampler(space).sample(50, generator=rng(0))
    assert [a.to_json() for a in again.archs] == [a.to_json() for a in batch.archs]
    rw = PriorSampler(load_space(SPACES["randwire"])).sample(3, generator=rng(0))
    assert math.isnan(float(rw.log_prob[0]))


def test_sampler_needs_a_positive_temperature() -> None:
    model = GraphPNASGenerator(load_space("nb201"))
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        GraphPNASGenerator(load_space("nb201"), temperature=-1.0)


def test_arch_from_another_space_is_unsupported() -> None:
    model = GraphPNASGenerator(load_space("nb201"))
    stranger = ArchGraph((Node(None, "input"), Node(None, "output")), (Edge(0, 1),), "x")
    assert model.supports([stranger]) == [False]
    assert bool(np.isneginf(model.log_prob([stranger]).detach().numpy()).all())
