"""Search-space kinds: rules, priors, mutation, codecs, generation rules and space files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from graphnas.errors import ConfigError, InputFileError, UnknownNameError
from graphnas.graph import ArchGraph, Edge, InvalidArchError
from graphnas.spaces import load_space, shipped_space_names
from graphnas.spaces.enas import ENAS_OPS
from graphnas.spaces.nb101 import NB101Space
from graphnas.spaces.nb201 import NB201Space
from graphnas.spaces.randwire import RandWireSpace

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SPACES = shipped_space_names()


def test_every_kind_has_a_shipped_space_file():
    assert {load_space(name).kind for name in SPACES} == {
        "nb201",
        "nb101",
        "randwire",
        "enas",
        "complete",
        "chain",
    }


@pytest.mark.parametrize("name", SPACES)
def test_prior_and_mutation_give_valid_architectures(name):
    space = load_space(name)
    rng = np.random.default_rng(0)
    for _ in range(40):
        arch = space.sample_prior(rng)
        assert space.problems(arch) == []
        assert arch.space == space.name
        child = space.mutate(arch, rng)
        assert space.problems(child) == []
        assert child != arch


@pytest.mark.parametrize("name", SPACES)
def test_codec_round_trips(name):
    space = load_space(name)
    rng = np.random.default_rng(1)
    for _ in range(20):
        arch = space.sample_prior(rng)
        assert space.decode(space.encode(arch)) == arch


@pytest.mark.parametrize("name", SPACES)
def test_prior_samples_obey_the_generation_rules(name):
    space = load_space(name)
    rules = space.generation_rules()
    rng = np.random.default_rng(2)
    for _ in range(20):
        # NB101 priors may hold dangling nodes; generated cells are the pruned form.
        arch = (
            space.normalize(space.sample_prior(rng)) if name == "nb101" else space.sample_prior(rng)
        )
        n = arch.num_nodes
        assert rules.min_nodes <= n <= rules.max_nodes
        present = {(e.src, e.dst) for e in arch.edges}
        for e in arch.edges:
            assert rules.allowed_edges[e.src][e.dst]
            if rules.edge_ops:
                assert e.op in rules.edge_ops
        for j in range(n):
            for t in range(n):
                if rules.forced_edges[j][t]:
                    assert (j, t) in present
        for i, node in enumerate(arch.nodes):
            if i in rules.fixed_ops and rules.stop_op is None:
                assert node.op == rules.fixed_ops[i]
            if node.role == "hidden" and rules.node_ops:
                assert node.op in rules.node_ops
        if rules.max_edges is not None:
            assert arch.num_edges <= rules.max_edges


@pytest.mark.parametrize("name", SPACES)
def test_describe_reports_size_and_vocabulary(name):
    space = load_space(name)
    info = space.describe()
    assert info.size == space.size() > 1
    assert info.vocabulary
    assert info.kind == space.kind


@pytest.mark.parametrize("name", SPACES)
def test_invalid_architectures_are_refused(name):
    space = load_space(name)
    arch = space.sample_prior(np.random.default_rng(3))
    wrong_nodes = arch.replace(nodes=(*arch.nodes, arch.nodes[-1]))
    assert space.problems(wrong_nodes)
    with pytest.raises(InvalidArchError):
        space.validate(wrong_nodes)
    assert space.problems(arch.replace(space="another"))


# ------------------------------------------------------------------------------- NB201
def test_nb201_sizes_and_unique_cells():
    space = load_space("nb201")
    cells = list(space.enumerate())
    assert len(cells) == space.size() == 15_625
    assert len({space.encode(c) for c in cells}) == 15_625
    assert len({space.canonical_hash(c) for c in cells}) == 6_466


@pytest.mark.skipif(not (SHARED / "nb201").is_dir(), reason="../shared/data absent")
def test_nb201_hash_partition_matches_official_unique_str():
    space = NB201Space()
    with open(SHARED / "nb201" / "nb201_merged.csv") as handle:
        rows = list(csv.DictReader(handle))
    hashes: dict[str, str] = {}
    uniques: dict[str, str] = {}
    for row in rows:
        arch = space.decode(row["arch_str"])
        assert space.encode(arch) == row["arch_str"]
        h = space.canonical_hash(arch)
        assert hashes.setdefault(h, row["unique_str"]) == row["unique_str"]
        assert uniques.setdefault(row["unique_str"], h) == h
    assert len(hashes) == 6_466


def test_nb201_none_is_an_absent_edge_and_decode_errors_are_clear():
    space = NB201Space()
    arch = space.decode("|none~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert [(e.src, e.dst, e.op) for e in arch.edges] == [
        (0, 2, "skip_connect"),
        (2, 3, "nor_conv_3x3"),
    ]
    with pytest.raises(InvalidArchError, match="unknown op 'conv9'"):
        space.decode("|conv9~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchError, match="node groups"):
        space.decode("|none~0|")
    bad = arch.replace(edges=(Edge(0, 1, "none"),))
    assert any("not one of" in p for p in space.problems(bad))


# ------------------------------------------------------------------------------- NB101
def test_nb101_prunes_dangling_nodes_and_limits_edges():
    space = NB101Space()
    ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
    dangling = space.from_matrix([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], ops)
    assert space.problems(dangling) == []
    pruned = space.normalize(dangling)
    assert pruned.num_nodes == 3
    twin = space.from_matrix(
        [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]
    )
    assert space.canonical_hash(dangling) == space.canonical_hash(twin)
    dense = space.from_matrix(
        [[1 if j > i else 0 for j in range(7)] for i in range(7)],
        ["input"] + ["conv1x1-bn-relu"] * 5 + ["output"],
    )
    assert any("exceed 9" in p for p in space.problems(dense))
    cut = space.from_matrix([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", "maxpool3x3", "output"])
    assert any("no path" in p for p in space.problems(cut))


@pytest.mark.skipif(not (SHARED / "nb101").is_dir(), reason="../shared/data absent")
def test_nb101_benchmark_cells_are_valid_and_hash_stably():
    space = NB101Space()
    names = ["input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu"]
    data = json.loads((SHARED / "nb101" / "zc_nasbench101.json").read_text())
    hashes = set()
    for key in data["nasbench101"]["cifar10"]:
        values = [int(v) for v in key.strip("()[] ").split(",")]
        matrix = [values[r * 7 : r * 7 + 7] for r in range(7)]
        ops = [names[i] for i in values[49:56]]
        arch = space.from_matrix(matrix, ops)
        assert space.problems(arch) == []
        assert space.decode(space.encode(arch)) == arch
        hashes.add(space.canonical_hash(arch))
    assert 100 < len(hashes) <= 500


# ------------------------------------------------------------------------------- RandWire
def test_randwire_ws_prior_follows_ring_order_and_edge_count():
    space = RandWireSpace(stage_nodes=(32, 32), prior={"model": "ws", "k": 4, "p": 0.0})
    arch = space.sample_prior(np.random.default_rng(0))
    stage0 = space.stage_edges(arch)[0]
    ring = {(i, (i + d) % 32) for i in range(32) for d in (1, 2)}
    assert set(stage0) == {(min(u, v), max(u, v)) for u, v in ring}
    rewired = RandWireSpace(stage_nodes=(32,), prior={"model": "ws", "k": 4, "p": 0.75})
    counts = [rewired.sample_prior(np.random.default_rng(s)).num_edges for s in range(5)]
    assert counts == [64] * 5  # WS rewiring keeps N*K/2 edges


def test_randwire_ba_and_er_priors():
    ba = RandWireSpace(stage_nodes=(32,), prior={"model": "ba", "m": 5})
    assert ba.sample_prior(np.random.default_rng(0)).num_edges == 5 * (32 - 5)
    er = RandWireSpace(stage_nodes=(32,), prior={"model": "er", "p": 0.2})
    mean = np.mean([er.sample_prior(np.random.default_rng(s)).num_edges for s in range(40)])
    assert abs(mean - 0.2 * 32 * 31 / 2) < 10


def test_randwire_refuses_edges_across_stages():
    space = RandWireSpace(stage_nodes=(4, 4))
    arch = space.sample_prior(np.random.default_rng(0))
    crossing = arch.replace(edges=(*arch.edges, Edge(2, 5)))
    assert any("crosses stages" in p for p in space.problems(crossing))
    with pytest.raises(ConfigError, match="unknown model 'xx'"):
        RandWireSpace(prior={"model": "xx"})


# ------------------------------------------------------------------------------- ENAS, complete
def test_enas_size_matches_the_paper_and_chain_is_required():
    space = load_space("enas_macro")
    assert space.size() == 6**12 * 2**66
    arch = space.sample_prior(np.random.default_rng(0))
    broken = arch.replace(edges=tuple(e for e in arch.edges if (e.src, e.dst) != (4, 5)))
    assert any("chain edge" in p for p in space.problems(broken))
    assert len(space.encode(arch).split()) == 12 + 66
    with pytest.raises(InvalidArchError):
        space.decode("1 2 3")
    assert {n.op for n in arch.nodes} <= set(ENAS_OPS)


def test_complete_space_contains_the_complete_dag():
    space = load_space("complete")
    full = space.complete(["conv_3x3"] * 6)
    assert space.problems(full) == []
    assert full.num_edges == 8 * 7 // 2
    empty = space.build(["conv_3x3"] * 6, [(0, 1)])
    assert any("no path" in p for p in space.problems(empty))


# ------------------------------------------------------------------------------- space files
def test_load_space_errors_name_the_input(tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown space 'nope'.*nb201"):
        load_space("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed")
    with pytest.raises(ConfigError, match=r"bad.yaml: malformed YAML"):
        load_space(str(bad))
    unknown = tmp_path / "u.yaml"
    unknown.write_text("kind: nb101\nmax_nodez: 3\n")
    with pytest.raises(ConfigError, match=r"unknown parameter.*max_nodez.*accepted"):
        load_space(str(unknown))
    kindless = tmp_path / "k.yaml"
    kindless.write_text("kind: hexagon\n")
    with pytest.raises(ConfigError, match="unknown space kind 'hexagon'"):
        load_space(str(kindless))
    with pytest.raises(InputFileError, match=r"missing.yaml: space file not found"):
        load_space(str(tmp_path / "missing.yaml"))


def test_space_config_round_trips(tmp_path):
    for name in SPACES:
        space = load_space(name)
        rebuilt = load_space(space.to_config())
        assert rebuilt.to_config() == space.to_config()
        rng = np.random.default_rng(5)
        assert rebuilt.sample_prior(rng) == space.sample_prior(np.random.default_rng(5))


def test_decoded_architecture_belongs_to_its_space():
    space = load_space("nb201")
    arch = space.sample_prior(np.random.default_rng(0))
    assert ArchGraph.from_json(arch.to_json()).space == "nb201"
