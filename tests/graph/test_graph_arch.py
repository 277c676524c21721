"""graphnas.graph.arch: the frozen ArchGraph value (sorted edges, queries, pickling)."""

from __future__ import annotations

import copy
import pickle

import pytest
from graph_samples import sample_archs

import graphnas.graph as graph
from graphnas.graph import ArchGraph


def test_graph_is_frozen_and_edges_are_sorted():
    arch = ArchGraph.build(["a", "b", "c"], [(1, 2), (0, 2), (0, 1)])
    assert [(e.src, e.dst) for e in arch.edges] == [(0, 1), (0, 2), (1, 2)]
    with pytest.raises(AttributeError):
        arch.nodes = ()  # type: ignore[misc]
    assert arch.predecessors() == [[], [0], [0, 1]]
    assert arch.successors() == [[1, 2], [2], []]
    assert arch.adjacency() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]


def test_pickle_and_deepcopy_keep_graph_and_meta():
    arch = sample_archs()[-1]
    for clone in (pickle.loads(pickle.dumps(arch)), copy.deepcopy(arch)):
        assert clone == arch
        assert clone.meta == arch.meta


def test_meta_is_read_only_and_not_compared():
    arch = sample_archs()[-1]
    with pytest.raises(TypeError):
        arch.meta["reward"] = 1.0  # type: ignore[index]
    assert arch.replace(meta={}) == arch
    assert hash(arch.replace(meta={})) == hash(arch)


def test_package_exports_every_public_name():
    for name in graph.__all__:
        assert getattr(graph, name) is not None
    assert {"ArchGraph", "Node", "Edge", "InvalidArchError", "CanonicalId"} <= set(graph.__all__)


def test_a_derived_value_is_computed_once_per_owner_and_carried_with_the_graph() -> None:
    arch = ArchGraph.build(["conv", "pool"], [(0, 1)])
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag

    first, second = object(), object()
    assert arch.derived(first, "id", lambda: compute("a")) == "a"
    assert arch.derived(first, "id", lambda: compute("b")) == "a"  # kept, not recomputed
    assert arch.derived(second, "id", lambda: compute("c")) == "c"  # another owner: its own
    assert calls == ["a", "c"]
    assert arch == ArchGraph.build(["conv", "pool"], [(0, 1)])  # the memo is not compared
    copy = pickle.loads(pickle.dumps(arch))  # nor pickled: a worker derives its own
    assert copy.derived(first, "id", lambda: compute("d")) == "d"
