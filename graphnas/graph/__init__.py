"""The architecture graph: `ArchGraph` (a frozen, torch-free labelled DAG) and what it is made of.

Modules: `elements` (Node, Edge, roles, size limits, InvalidArchError), `arch` (ArchGraph),
`validation`, `pruning`, `identity` (canonical id, exact isomorphism), and one module per format
holding its writer and reader: `json_format`, `networkx_format`, `graphml_format`, `dot_format`,
`pyg_format`. This package depends on nothing else in graphnas but `graphnas.errors`.
"""

from graphnas.graph.arch import ArchGraph, RuleChecker
from graphnas.graph.elements import (
    MAX_EDGES,
    MAX_NODES,
    ROLES,
    SCHEMA,
    Edge,
    InvalidArchError,
    Node,
)
from graphnas.graph.identity import (
    EXACT_SEARCH_LEAVES,
    CanonicalId,
    canonical_form,
    canonical_id,
    is_isomorphic,
)

__all__ = [
    "EXACT_SEARCH_LEAVES",
    "MAX_EDGES",
    "MAX_NODES",
    "ROLES",
    "SCHEMA",
    "ArchGraph",
    "CanonicalId",
    "Edge",
    "InvalidArchError",
    "Node",
    "RuleChecker",
    "canonical_form",
    "canonical_id",
    "is_isomorphic",
]
