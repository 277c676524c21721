"""graphnas.graph.networkx_format, graphml_format and pyg_format: lossless round trips."""

from __future__ import annotations

import pytest
from graph_samples import sample_archs

from graphnas.graph import ArchGraph, InvalidArchError


@pytest.mark.parametrize("arch", sample_archs())
def test_networkx_and_graphml_round_trips(arch):
    assert ArchGraph.from_networkx(arch.to_networkx()) == arch
    back = ArchGraph.from_graphml(arch.to_graphml())
    assert back == arch and back.meta == arch.meta and back.space == arch.space


def test_graphml_refuses_malformed_xml_in_one_line():
    with pytest.raises(InvalidArchError, match="not a graphnas GraphML graph") as info:
        ArchGraph.from_graphml("<graphml><graph", source="a.graphml")
    assert "\n" not in str(info.value)


def test_pyg_round_trip_and_tensor_shapes():
    arch = sample_archs()[-1]
    data = arch.to_pyg(node_vocab=["a"], edge_vocab=["e1"])
    assert tuple(data.edge_index.shape) == (2, 2)
    assert data.x.tolist() == [-1, 0, -1]
    assert data.edge_attr.tolist() == [0, -1]
    assert data.role.tolist() == [0, 1, 2]
    back = ArchGraph.from_pyg(data, ["a"], ["e1"], space="demo")
    assert back == arch
    with pytest.raises(InvalidArchError, match="not in the vocabulary"):
        arch.to_pyg(node_vocab=["zzz"], edge_vocab=["e1"])
