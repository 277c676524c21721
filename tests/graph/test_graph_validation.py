"""graphnas.graph.validation: every structural problem reported at once; space rules consulted."""

from __future__ import annotations

import pytest
from graph_samples import cell

from graphnas.graph import ArchGraph, Edge, InvalidArchError, Node


def test_validation_reports_every_problem_at_once():
    arch = ArchGraph(
        (Node("x", "input"), Node("y", "boss"), Node("z", "output")),
        (Edge(2, 1), Edge(0, 0), Edge(0, 1), Edge(0, 1), Edge(1, 7), Edge(1, 0)),
    )
    with pytest.raises(InvalidArchError) as info:
        arch.validate()
    text = " | ".join(info.value.problems)
    assert "unknown role 'boss'" in text
    assert "2->1 goes backwards" in text
    assert "self-loop" in text
    assert "appears twice" in text
    assert "outside 0..2" in text
    assert "enters input node 0" in text
    assert "leaves output node 2" in text
    assert "form a cycle" in text
    assert len(info.value.problems) >= 8


def test_valid_graph_passes_and_space_rules_are_consulted():
    arch = cell(["a", "b", "c"], [(0, 1), (1, 2)], roles=["input", "hidden", "output"])
    assert arch.validate() is arch

    class NoB:
        def problems(self, a):
            return [f"node {i} uses b" for i, n in enumerate(a.nodes) if n.op == "b"]

    with pytest.raises(InvalidArchError, match="node 1 uses b"):
        arch.validate(NoB())
