"""graphnas.graph.json_format: the versioned JSON schema, round trip and one-line refusals."""

from __future__ import annotations

import json

import pytest
from graph_samples import sample_archs

from graphnas.graph import SCHEMA, ArchGraph, InvalidArchError


@pytest.mark.parametrize("arch", sample_archs())
def test_json_round_trip(arch):
    back = ArchGraph.from_json(arch.to_json())
    assert back == arch and back.meta == arch.meta and back.space == arch.space
    assert ArchGraph.from_dict(arch.to_dict()) == arch
    assert arch.to_dict()["schema"] == SCHEMA


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"nodes": "x"}), "'nodes' must be a list"),
        (json.dumps({"nodes": [], "edges": [[0, "a"]]}), "edge 0 must be"),
        (json.dumps({"nodes": [{"op": 3}]}), "node 0 op must be a string"),
        (json.dumps({"schema": "other/9", "nodes": []}), "unsupported schema"),
        (json.dumps({"nodes": [{}, {}], "edges": [[1, 0]]}), "goes backwards"),
        (json.dumps({"nodes": [{"stage": True}]}), "stage must be an integer"),
    ],
)
def test_malformed_json_raises_one_clear_error(text, message):
    with pytest.raises(InvalidArchError, match=message) as info:
        ArchGraph.from_json(text, source="arch.json")
    assert str(info.value).startswith("arch.json: invalid: ")
    assert "\n" not in str(info.value)
