"""Distribution analysis of sets of architectures, as graph generative models are evaluated.

Per set: validity, uniqueness and novelty rates; degree, clustering-coefficient, shortest-path
length and op-frequency distributions. Between two sets: the maximum mean discrepancy (MMD) of
those distributions with a Gaussian kernel over total-variation or earth-mover distance between
per-graph histograms, as in GraphRNN (You et al. 2018) and GRAN (Liao et al. 2019). For rewards:
the empirical distribution function (EDF) of Radosavovic et al. (2019, 2020) and the two-sample
Kolmogorov-Smirnov statistic between EDFs.

Degrees count in- plus out-edges; clustering coefficients are those of the undirected graph;
path lengths are the directed shortest-path lengths (in edges) between every reachable pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from graphnas.graph import ArchGraph

Kernel = Literal["tv", "emd"]
STATISTICS = ("degree", "clustering", "path_length", "ops")
CLUSTERING_BINS = 100
# Kernel bandwidths per statistic, as GRAN's evaluation uses them (clustering is much finer).
DEFAULT_SIGMA = {"degree": 1.0, "clustering": 0.1, "path_length": 1.0, "ops": 1.0}
EDGE_OP_PREFIX = "edge:"


@dataclass(frozen=True)
class ArchFeatures:
    """Per-architecture quantities the distributions are built from."""

    degrees: np.ndarray  # [num_nodes] int, in-degree + out-degree
    clustering: np.ndarray  # [num_nodes] float in [0, 1], undirected local clustering
    path_lengths: np.ndarray  # [reachable ordered pairs] int >= 1, directed shortest paths
    depth: int  # edges on the longest directed path
    ops: Counter[str]  # node ops by name, edge ops as "edge:<name>"
    num_nodes: int
    num_edges: int


def arch_features(arch: ArchGraph) -> ArchFeatures:
    """Degrees, clustering, path lengths, depth and op counts of one architecture."""
    from scipy.sparse.csgraph import shortest_path

    n = arch.num_nodes
    adj = np.zeros((n, n), dtype=np.float64)
    for e in arch.edges:
        adj[e.src, e.dst] = 1.0
    degrees = (adj.sum(0) + adj.sum(1)).astype(np.int64)
    undirected = np.maximum(adj, adj.T)
    undirected_degree = undirected.sum(1)
    # Closed walks of length 3 through v: diag(A^3) = 2 * triangles(v).
    walks3 = ((undirected @ undirected) * undirected).sum(1)
    pairs = undirected_degree * (undirected_degree - 1)
    clustering = np.divide(walks3, pairs, out=np.zeros(n), where=pairs > 0)
    if n and arch.num_edges:
        dist = shortest_path(adj, directed=True, unweighted=True)
        finite = dist[np.isfinite(dist) & (dist > 0)]
        path_lengths = finite.astype(np.int64)
    else:
        path_lengths = np.zeros(0, dtype=np.int64)
    longest = [0] * n
    for e in arch.edges:  # edges are sorted by (src, dst) and ids are a topological order
        longest[e.dst] = max(longest[e.dst], longest[e.src] + 1)
    ops: Counter[str] = Counter(op for op in arch.ops if op is not None)
    ops.update(EDGE_OP_PREFIX + e.op for e in arch.edges if e.op is not None)
    return ArchFeatures(
        degrees,
        clustering,
        path_lengths,
        max(longest, default=0),
        ops,
        n,
        arch.num_edges,
    )


# ----------------------------------------------------------------------------- set summaries
def set_summary(
    archs: Sequence[ArchGraph],
    *,
    features: Sequence[ArchFeatures] | None = None,
    is_valid: Callable[[ArchGraph], bool] | None = None,
    key: Callable[[ArchGraph], str] | None = None,
) -> dict[str, Any]:
    """Rates and distribution summaries of one set, as plain JSON-ready numbers.

    validity: fraction for which `is_valid` holds (default: structurally sound DAGs).
    uniqueness: distinct `key`s (default: canonical hash) over the set size.
    """
    is_valid = is_valid or (lambda a: not a.structural_problems())
    key = key or ArchGraph.canonical_hash
    features = list(features) if features is not None else [arch_features(a) for a in archs]
    keys = [key(a) for a in archs]
    n = len(archs)
    summary: dict[str, Any] = {
        "count": n,
        "validity": _rate(sum(bool(is_valid(a)) for a in archs), n),
        "uniqueness": _rate(len(set(keys)), n),
    }
    degrees = _concat([f.degrees for f in features])
    clustering = _concat([f.clustering for f in features])
    paths = _concat([f.path_lengths for f in features])
    summary.update(
        nodes=_moments([f.num_nodes for f in features]),
        edges=_moments([f.num_edges for f in features]),
        depth=_moments([f.depth for f in features]),
        degree=_moments(degrees),
        clustering=_moments(clustering),
        path_length=_moments(paths),
        op_frequency=op_frequency(features),
    )
    return summary


def novelty(keys: Sequence[str], reference_keys: Iterable[str]) -> float:
    """Fraction of `keys` (one per architecture) not among `reference_keys`."""
    known = set(reference_keys)
    return _rate(sum(k not in known for k in keys), len(keys))


def op_frequency(features: Sequence[ArchFeatures]) -> dict[str, float]:
    """Share of each op among all node and edge op labels of the set (sums to 1)."""
    total: Counter[str] = Counter()
    for f in features:
        total.update(f.ops)
    count = sum(total.values())
    return {op: total[op] / count for op in sorted(total)} if count else {}


# ----------------------------------------------------------------------------- histograms
def histograms(statistic: str, sets: Sequence[Sequence[ArchFeatures]]) -> list[np.ndarray]:
    """Per-graph normalised histograms [len(set), bins] of one statistic, with bins shared
    across all the given sets (so they can be compared)."""
    if statistic == "degree":
        values = [[f.degrees for f in s] for s in sets]
        return _count_histograms(values)
    if statistic == "path_length":
        values = [[f.path_lengths for f in s] for s in sets]
        return _count_histograms(values)
    if statistic == "clustering":
        return [
            _normalise(
                np.array(
                    [
                        np.histogram(f.clustering, bins=CLUSTERING_BINS, range=(0.0, 1.0))[0]
                        for f in s
                    ]
                ).reshape(len(s), CLUSTERING_BINS)
            )
            for s in sets
        ]
    if statistic == "ops":
        vocab = sorted({op for s in sets for f in s for op in f.ops})
        return [
            _normalise(np.array([[f.ops[op] for op in vocab] for f in s]).reshape(len(s), -1))
            for s in sets
        ]
    raise ValueError(f"unknown statistic {statistic!r}; valid: {', '.join(STATISTICS)}")


def op_vocabulary(sets: Sequence[Sequence[ArchFeatures]]) -> list[str]:
    """The op names in the order `histograms("ops", sets)` uses for its bins."""
    return sorted({op for s in sets for f in s for op in f.ops})


# ----------------------------------------------------------------------------- MMD
def mmd2(
    x: np.ndarray,
    y: np.ndarray,
    kernel: Kernel = "tv",
    sigma: float = 1.0,
    bin_width: float = 1.0,
) -> float:
    """Squared MMD (biased V-statistic, as GraphRNN and GRAN report) between two sets of
    normalised histograms x [n, bins] and y [m, bins], Gaussian kernel exp(-d^2 / 2 sigma^2)
    on d = total variation (0.5 * L1) or 1-D earth mover's distance (L1 between CDFs, times
    `bin_width` so it is in the statistic's own units)."""
    if len(x) == 0 or len(y) == 0:
        return float("nan")
    kxx = _gaussian(x, x, kernel, sigma, bin_width).mean()
    kyy = _gaussian(y, y, kernel, sigma, bin_width).mean()
    kxy = _gaussian(x, y, kernel, sigma, bin_width).mean()
    return float(max(kxx + kyy - 2 * kxy, 0.0))


def mmd_report(
    a: Sequence[ArchFeatures],
    b: Sequence[ArchFeatures],
    kernel: Kernel = "tv",
    sigma: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Squared MMD between two sets for each statistic (degree, clustering, path, ops)."""
    sigma = {**DEFAULT_SIGMA, **dict(sigma or {})}
    report = {}
    for statistic in STATISTICS:
        hx, hy = histograms(statistic, [a, b])
        width = 1.0 / CLUSTERING_BINS if statistic == "clustering" else 1.0
        report[statistic] = mmd2(hx, hy, kernel, sigma[statistic], width)
    return report


def _gaussian(
    x: np.ndarray, y: np.ndarray, kernel: Kernel, sigma: float, bin_width: float
) -> np.ndarray:
    from scipy.spatial.distance import cdist

    if kernel == "tv":
        d = 0.5 * cdist(x, y, "cityblock")
    elif kernel == "emd":
        d = bin_width * cdist(np.cumsum(x, 1), np.cumsum(y, 1), "cityblock")
    else:
        raise ValueError(f"unknown kernel {kernel!r}; valid: tv, emd")
    return np.exp(-(d**2) / (2 * sigma**2))


# ----------------------------------------------------------------------------- rewards
def edf(values: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """Empirical distribution function: sorted finite values v [n] and F(v) [n], the fraction
    of values <= v (Radosavovic et al.'s error EDF, applied to rewards)."""
    v = np.sort(np.asarray([x for x in values if x is not None and np.isfinite(x)], float))
    return v, np.arange(1, len(v) + 1) / max(len(v), 1)


def ks_statistic(a: Iterable[float], b: Iterable[float]) -> dict[str, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value between two reward sets."""
    from scipy.stats import ks_2samp

    va, _ = edf(a)
    vb, _ = edf(b)
    if len(va) == 0 or len(vb) == 0:
        return {"ks": float("nan"), "p_value": float("nan")}
    result = ks_2samp(va, vb)
    return {"ks": float(result.statistic), "p_value": float(result.pvalue)}


def reward_summary(rewards: Iterable[float]) -> dict[str, float]:
    """Count, mean, std, quantiles and max of the finite rewards."""
    v, _ = edf(rewards)
    if len(v) == 0:
        return {"count": 0}
    q10, q50, q90 = np.quantile(v, [0.1, 0.5, 0.9])
    return {
        "count": len(v),
        "mean": float(v.mean()),
        "std": float(v.std()),
        "min": float(v[0]),
        "q10": float(q10),
        "median": float(q50),
        "q90": float(q90),
        "max": float(v[-1]),
    }


# ----------------------------------------------------------------------------- helpers
def _count_histograms(values: list[list[np.ndarray]]) -> list[np.ndarray]:
    top = max((int(v.max()) for s in values for v in s if len(v)), default=0)
    return [
        _normalise(
            np.array([np.bincount(v, minlength=top + 1) for v in s]).reshape(len(s), top + 1)
        )
        for s in values
    ]


def _normalise(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.float64)
    total = h.sum(1, keepdims=True)
    return np.divide(h, total, out=np.zeros_like(h), where=total > 0)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _moments(values: Any) -> dict[str, float]:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(v.mean()), "std": float(v.std())}


def _rate(count: int, total: int) -> float:
    return count / total if total else float("nan")
