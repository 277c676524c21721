"""A Gaussian-process surrogate over a generator's decisions, for ranking proposals (PNAS-style).

Features: every decision a `GenerationStructure` makes for a graph, one-hot and flattened in a
fixed layout ([n, F] float64: per block, each decided node op, each edge that may or may not exist
and each edge label), then per block how often each node op and each edge label occurs; so any
space a generator can produce has a fixed-width encoding, two graphs differing in d decisions are
at squared distance 2d plus the change in their op counts, and graphs with the same ops wired
differently are near each other (op counts alone predict much of NB201). The GP
(squared-exponential kernel on those features, standardised targets, the length scale picked by
marginal likelihood from a short grid) is fitted on the evaluated graphs;
`expected_improvement` ranks candidates. `Surrogate` ties them to a search's history (features
cached by canonical hash).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from graphnas.generators.structure import GenerationStructure
from graphnas.graph import ArchGraph
from graphnas.strategies.history import Entry

LENGTH_SCALES = (1.0, 1.5, 2.0, 3.0, 4.0)
NOISE = 1e-2


def decision_features(structure: GenerationStructure, archs: Sequence[ArchGraph]) -> torch.Tensor:
    """[n, F] float64 one-hot decisions of `archs`, then their op counts (module docstring)."""
    tensors, _ = structure.encode(archs)
    device = tensors.adj.device
    blocks = structure.num_blocks
    parts, counts = [], []
    for s in range(blocks):  # rows s, s + S, ... are block s of each graph
        decide = structure.decide_op[s].to(device)  # [n]
        free = (structure.allowed[s] & ~structure.forced[s]).to(device)  # [n, n]
        allowed = structure.allowed[s].to(device)
        node_op, adj, edge_op = (
            t[s::blocks] for t in (tensors.node_op, tensors.adj, tensors.edge_op)
        )
        node_counts = label_counts = None
        if structure.node_vocab:
            ops = F.one_hot(node_op.clamp(min=0), len(structure.node_vocab))
            decided = (ops * (node_op >= 0).unsqueeze(-1))[:, decide]  # [n, d, V]
            parts.append(decided.flatten(1))
            node_counts = decided.sum(1)  # [n, V]
        parts.append(adj[:, free].to(torch.long))
        if structure.edge_vocab:
            labels = F.one_hot(edge_op.clamp(min=0), len(structure.edge_vocab))
            labelled = (labels * (edge_op >= 0).unsqueeze(-1))[:, allowed]  # [n, e, L]
            parts.append(labelled.flatten(1))
            label_counts = labelled.sum(1)  # [n, L]
        counts += [c for c in (label_counts, node_counts) if c is not None]
    return torch.cat(parts + counts, dim=1).to(torch.float64)


class GaussianProcess:
    """Exact GP regression, y standardised; `fit` picks the length scale, `predict` gives the
    posterior mean and standard deviation [m] in reward units."""

    def __init__(self, noise: float = NOISE, length_scales: Sequence[float] = LENGTH_SCALES):
        self.noise = float(noise)
        self.length_scales = tuple(length_scales)

    @staticmethod
    def _kernel(a: torch.Tensor, b: torch.Tensor, scale: float) -> torch.Tensor:
        return torch.exp(-torch.cdist(a, b).square() / (2 * scale**2))

    def fit(self, x: torch.Tensor, y: torch.Tensor) -> GaussianProcess:
        """x [n, F], y [n]; n >= 2."""
        self.x = x
        self.mean_y = float(y.mean())
        self.std_y = float(y.std()) or 1.0
        z = ((y - self.mean_y) / self.std_y).to(torch.float64)
        eye = torch.eye(len(x), dtype=torch.float64, device=x.device)
        best = -math.inf
        for scale in self.length_scales:
            chol = torch.linalg.cholesky(self._kernel(x, x, scale) + self.noise * eye)
            alpha = torch.cholesky_solve(z.unsqueeze(1), chol)
            evidence = float(-0.5 * (z @ alpha.squeeze(1)) - chol.diagonal().log().sum())
            if evidence > best:
                best, self.scale, self.chol, self.alpha = evidence, scale, chol, alpha
        return self

    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and standard deviation [m] at x [m, F]."""
        cross = self._kernel(x, self.x, self.scale)  # [m, n]
        mean = (cross @ self.alpha).squeeze(1)
        solved = torch.cholesky_solve(cross.T, self.chol)  # [n, m]
        var = (1.0 + self.noise - (cross.T * solved).sum(0)).clamp(min=1e-12)
        return self.mean_y + self.std_y * mean, self.std_y * var.sqrt()


def expected_improvement(mean: torch.Tensor, std: torch.Tensor, best: float) -> torch.Tensor:
    """EI [m] of candidates over the incumbent `best` under Gaussian posteriors."""
    gain = (mean - best) / std
    normal = torch.distributions.Normal(0.0, 1.0)
    return std * (gain * normal.cdf(gain) + normal.log_prob(gain).exp())


class Surrogate:
    """A GP over `structure`'s decision features, refitted on evaluated (arch, entry) pairs."""

    def __init__(self, structure: GenerationStructure) -> None:
        self.structure = structure
        self._features: dict[str, torch.Tensor] = {}  # derived from the history: not state
        self.process: GaussianProcess | None = None
        self.best = -math.inf

    def fit(self, pairs: Sequence[tuple[ArchGraph, Entry]]) -> bool:
        """Fit on the (trainable form, entry) pairs of successful evaluations; False (and no
        model) while fewer than two are known."""
        pairs = [(arch, e) for arch, e in pairs if e.ok]
        if len(pairs) < 2:
            self.process = None
            return False
        for arch, entry in pairs:
            if entry.hash not in self._features:
                self._features[entry.hash] = decision_features(self.structure, [arch])[0]
        x = torch.stack([self._features[e.hash] for _, e in pairs])
        y = torch.tensor([e.reward for _, e in pairs], dtype=torch.float64)
        self.process = GaussianProcess().fit(x, y)
        self.best = float(y.max())
        return True

    def predict(self, archs: Sequence[ArchGraph]) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and standard deviation [n] of the fitted GP (call `fit` first)."""
        assert self.process is not None, "Surrogate.predict before a successful fit"
        return self.process.predict(decision_features(self.structure, archs))

    def expected_improvement(self, archs: Sequence[ArchGraph]) -> torch.Tensor:
        """[n] expected improvement over the best evaluated reward."""
        mean, std = self.predict(archs)
        return expected_improvement(mean, std, self.best)
