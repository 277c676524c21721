"""GraphML form of an ArchGraph (None ops as empty strings, meta as a JSON string): writer and
reader (networkx's parser; any malformed input is one InvalidArchError)."""

from __future__ import annotations

import json
import warnings

from graphnas.graph.arch import ArchGraph
from graphnas.graph.elements import SCHEMA, InvalidArchError, first_line
from graphnas.graph.networkx_format import arch_from_networkx, arch_to_networkx


def arch_to_graphml(arch: ArchGraph) -> str:
    """GraphML text (None ops written as empty strings, meta as a JSON string)."""
    import networkx as nx

    g = arch_to_networkx(arch)
    g.graph["meta"] = json.dumps(dict(arch.meta))
    g.graph["schema"] = SCHEMA
    for _, data in g.nodes(data=True):
        data["op"] = data["op"] or ""
    for _, _, data in g.edges(data=True):
        data["op"] = data["op"] or ""
    return "\n".join(nx.generate_graphml(g))


def arch_from_graphml(text: str, source: str = "graphml") -> ArchGraph:
    """Parse GraphML text written by arch_to_graphml."""
    import networkx as nx

    try:
        with warnings.catch_warnings():  # e.g. "No key type for id d5": types are checked below
            warnings.simplefilter("ignore")
            g = nx.parse_graphml(text, node_type=int)
        return arch_from_networkx(g)
    except Exception as err:  # networkx raises many types for malformed XML
        raise InvalidArchError(
            [f"not a graphnas GraphML graph ({first_line(err)})"], source
        ) from None
