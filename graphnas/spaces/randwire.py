"""RandWire space (Xie et al. 2019): a stack of stages, each a random DAG of N nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from graphnas.errors import ConfigError
from graphnas.graph import MAX_EDGES, MAX_NODES, ArchGraph, Edge, Node
from graphnas.spaces.base import (
    MAX_DENSE_NODES,
    SPACE_KINDS,
    GenerationRules,
    SearchSpace,
    int_param,
    probability_param,
)

NODE_OP = "relu_sepconv3x3_bn"
PRIORS = {"ws": ("k", "p"), "er": ("p",), "ba": ("m",)}


def random_graph_edges(prior: dict[str, Any], n: int, seed: int) -> list[tuple[int, int]]:
    """Undirected random graph from networkx, oriented from lower to higher node index.

    Node indices follow the paper: WS in ring order, BA in order of addition, ER as drawn.
    """
    model = prior["model"]
    if model == "ws":
        graph = nx.watts_strogatz_graph(n, int(prior["k"]), float(prior["p"]), seed=seed)
    elif model == "er":
        graph = nx.erdos_renyi_graph(n, float(prior["p"]), seed=seed)
    elif model == "ba":
        graph = nx.barabasi_albert_graph(n, int(prior["m"]), seed=seed)
    else:
        raise ConfigError(f"randwire prior: unknown model {model!r}; valid: ws, er, ba")
    return sorted((min(u, v), max(u, v)) for u, v in graph.edges)


def checked_prior(prior: Any, smallest_stage: int) -> dict[str, Any]:
    """The prior {model, params} with typed, in-range parameters; ConfigError otherwise.

    Ranges are what networkx accepts for every stage: WS 0 <= k <= N, BA 1 <= m < N, p in [0, 1].
    """
    if not isinstance(prior, Mapping):
        raise ConfigError("randwire prior: must be a mapping such as {model: ws, k: 4, p: 0.75}")
    model = prior.get("model")
    if not isinstance(model, str) or model not in PRIORS:
        shown = repr(model) if isinstance(model, str) else type(model).__name__
        raise ConfigError(f"randwire prior: unknown model {shown}; valid: ws, er, ba")
    missing = [key for key in PRIORS[model] if key not in prior]
    if missing:
        raise ConfigError(f"randwire prior {model}: missing parameter(s) {', '.join(missing)}")
    unknown = sorted(str(key) for key in prior if key != "model" and key not in PRIORS[model])
    if unknown:
        raise ConfigError(f"randwire prior {model}: unknown parameter(s) {', '.join(unknown)}")
    checked: dict[str, Any] = {"model": model}
    if "k" in PRIORS[model]:
        checked["k"] = int_param(prior["k"], "randwire prior ws: k", 0, smallest_stage)
    if "m" in PRIORS[model]:
        checked["m"] = int_param(prior["m"], "randwire prior ba: m", 1, smallest_stage - 1)
    if "p" in PRIORS[model]:
        checked["p"] = probability_param(prior["p"], f"randwire prior {model}: p")
    return checked


@SPACE_KINDS.register("randwire")
class RandWireSpace(SearchSpace):
    """Stages of N-node DAGs; every node is ReLU -> 3x3 separable conv -> BN after a sigmoid-
    weighted sum of its inputs. A node without in-edges reads the stage input (stride 2 at stage
    entry); a node without out-edges feeds the stage output, the mean of all such sinks. So an
    isolated node is both: it reads the stage input and contributes to the output.
    """

    kind = "randwire"
    ops_on = "nodes"

    def __init__(
        self,
        name: str = "randwire",
        stage_nodes: Sequence[int] = (32, 32, 32),
        prior: dict[str, Any] | None = None,
        network: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, network)
        if not isinstance(stage_nodes, (list, tuple)) or not stage_nodes:
            raise ConfigError("randwire: stage_nodes must list at least one stage of >= 2 nodes")
        self.stage_nodes = tuple(
            int_param(n, "randwire: stage_nodes entry", 2, MAX_DENSE_NODES) for n in stage_nodes
        )
        if (
            sum(self.stage_nodes) > MAX_NODES
            or sum(n * (n - 1) // 2 for n in self.stage_nodes) > MAX_EDGES
        ):
            raise ConfigError(
                f"randwire: stages {list(self.stage_nodes)} exceed the limits of "
                f"{MAX_NODES} nodes and {MAX_EDGES} possible edges"
            )
        self.prior = checked_prior(
            prior if prior is not None else {"model": "ws", "k": 4, "p": 0.75},
            min(self.stage_nodes),
        )
        self.node_ops = (NODE_OP,)
        self.offsets = tuple(int(x) for x in np.cumsum((0, *self.stage_nodes)))

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {
            "channels": 78,
            "stage_channel_mult": [1, 2, 4],
            "stem": "small",
            "head_channels": 1280,
            "num_classes": 1000,
            "input_size": 224,
        }

    def params(self) -> dict[str, Any]:
        return {"stage_nodes": list(self.stage_nodes), "prior": dict(self.prior)}

    @property
    def num_nodes(self) -> int:
        return self.offsets[-1]

    def stage_of(self, node: int) -> int:
        return int(np.searchsorted(self.offsets, node, side="right") - 1)

    def from_stage_edges(self, stage_edges: Sequence[Sequence[tuple[int, int]]]) -> ArchGraph:
        """Build from per-stage edge lists in local node ids (src < dst within each stage)."""
        nodes = tuple(
            Node(NODE_OP, "hidden", s) for s, n in enumerate(self.stage_nodes) for _ in range(n)
        )
        edges = tuple(
            Edge(self.offsets[s] + u, self.offsets[s] + v)
            for s, pairs in enumerate(stage_edges)
            for u, v in pairs
        )
        return ArchGraph(nodes, edges, self.name)

    def stage_edges(self, arch: ArchGraph) -> list[list[tuple[int, int]]]:
        """Per-stage edge lists in local node ids."""
        result: list[list[tuple[int, int]]] = [[] for _ in self.stage_nodes]
        for e in arch.edges:
            s = arch.nodes[e.src].stage
            result[s].append((e.src - self.offsets[s], e.dst - self.offsets[s]))
        return result

    def rule_problems(self, arch: ArchGraph) -> list[str]:
        problems = []
        if arch.num_nodes != self.num_nodes:
            return [
                f"expected {self.num_nodes} nodes (stages {self.stage_nodes}), got {arch.num_nodes}"
            ]
        for i, node in enumerate(arch.nodes):
            if node.stage != self.stage_of(i):
                problems.append(f"node {i} should be in stage {self.stage_of(i)}, not {node.stage}")
            if node.op != NODE_OP or node.role != "hidden":
                problems.append(f"node {i} must be a hidden {NODE_OP} node")
        for e in arch.edges:
            if self.stage_of(e.src) != self.stage_of(e.dst):
                problems.append(f"edge {e.src}->{e.dst} crosses stages")
            if e.op is not None:
                problems.append(f"edge {e.src}->{e.dst}: RandWire edges carry no ops")
        return problems

    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """One graph per stage from the configured WS/ER/BA model."""
        seeds = rng.integers(0, 2**31 - 1, size=len(self.stage_nodes))
        return self.from_stage_edges(
            [
                random_graph_edges(self.prior, n, int(seed))
                for n, seed in zip(self.stage_nodes, seeds, strict=True)
            ]
        )

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Add or remove one within-stage edge."""
        stages = self.stage_edges(arch)
        s = int(rng.integers(0, len(self.stage_nodes)))
        n = self.stage_nodes[s]
        u = int(rng.integers(0, n - 1))
        v = int(rng.integers(u + 1, n))
        edges = set(stages[s])
        edges.symmetric_difference_update({(u, v)})
        stages[s] = sorted(edges)
        return self.from_stage_edges(stages)

    def generation_rules(self) -> GenerationRules:
        n = self.num_nodes
        stages = tuple(self.stage_of(i) for i in range(n))
        allowed = tuple(tuple(j < t and stages[j] == stages[t] for t in range(n)) for j in range(n))
        return GenerationRules(
            max_nodes=n,
            min_nodes=n,
            node_ops=self.node_ops,
            edge_ops=(),
            roles=("hidden",) * n,
            fixed_ops={i: NODE_OP for i in range(n)},
            stages=stages,
            allowed_edges=allowed,
            forced_edges=tuple(tuple(False for _ in range(n)) for _ in range(n)),
            notes="stages are independent DAGs; edges never cross stages",
        )

    def size(self) -> int:
        return int(np.prod([2 ** (n * (n - 1) // 2) for n in self.stage_nodes], dtype=object))
