"""Distribution metrics of a set of sampled architectures (what `graphnas sample` reports).

For N samples: validity (share valid in the space), uniqueness (distinct canonical hashes / N),
novelty (share, and distinct count, of valid samples whose hash is not in a given evaluated set),
effective support exp(H) of the sampling distribution, quality (mean and quantiles of a metric)
and, where the whole space's values of that metric are known, the share of samples in its top 1%
and 5%. The entropy H is exact where it can be: from the sampler's probabilities of every
architecture of an enumerable space (`exact`), or from a uniform prior (`uniform`); otherwise it
is the Monte-Carlo estimate -mean log p of the samples (`monte-carlo`), and without any
probability the plug-in entropy of the samples' hash frequencies (`plug-in`, a lower bound).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
TOP_SHARES = (0.01, 0.05)


@dataclass(frozen=True)
class Support:
    """exp(entropy) of a distribution over architectures and how the entropy was obtained."""

    size: float
    method: str  # exact | uniform | monte-carlo | plug-in

    def to_dict(self) -> dict[str, float | str]:
        return {"value": self.size, "method": self.method}


def identity_metrics(
    hashes: Sequence[str | None], evaluated: Iterable[str] | None = None
) -> dict[str, float | int]:
    """Validity, uniqueness and (given `evaluated`) novelty of N samples; `hashes[i]` is the
    canonical hash of sample i, None where it is invalid."""
    n = len(hashes)
    if n == 0:
        raise ValueError("no samples")
    valid = [h for h in hashes if h is not None]
    out: dict[str, float | int] = {
        "samples": n,
        "validity": len(valid) / n,
        "distinct": len(set(valid)),
        "uniqueness": len(set(valid)) / n,
    }
    if evaluated is not None:
        known = set(evaluated)
        novel = [h for h in valid if h not in known]
        out["novelty"] = len(novel) / n
        out["novel_distinct"] = len(set(novel))
    return out


def entropy_of(log_probs: Sequence[float] | np.ndarray) -> float:
    """Exact entropy (nats) of a distribution given the log-probability of every outcome;
    the probabilities are renormalised (an outcome with -inf contributes nothing)."""
    logs = np.asarray(log_probs, dtype=np.float64)
    logs = logs[np.isfinite(logs)]
    if logs.size == 0:
        return math.nan
    logs = logs - np.logaddexp.reduce(logs)
    return float(-(np.exp(logs) * logs).sum())


def monte_carlo_entropy(sample_log_probs: Sequence[float]) -> float:
    """-mean log p(x_i) of samples x_i ~ p: an unbiased estimate of p's entropy."""
    values = [float(v) for v in sample_log_probs]
    if not values or not all(math.isfinite(v) for v in values):
        return math.nan
    return -statistics.fmean(values)


def plug_in_entropy(hashes: Sequence[str]) -> float:
    """Entropy of the empirical frequencies of `hashes` (biased low: a lower bound in mean)."""
    counts = np.array(list(Counter(hashes).values()), dtype=np.float64)
    if counts.size == 0:
        return math.nan
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def effective_support(
    *,
    space_log_probs: Sequence[float] | None = None,
    uniform_size: int | None = None,
    sample_log_probs: Sequence[float] | None = None,
    hashes: Sequence[str] = (),
) -> Support:
    """exp(H) by the best method the inputs allow (see the module docstring)."""
    if space_log_probs is not None:
        return Support(math.exp(entropy_of(space_log_probs)), "exact")
    if uniform_size is not None:
        return Support(float(uniform_size), "uniform")
    estimate = monte_carlo_entropy(sample_log_probs or [])
    if math.isfinite(estimate):
        return Support(math.exp(estimate), "monte-carlo")
    return Support(math.exp(plug_in_entropy(hashes)), "plug-in")


def quality(values: Sequence[float]) -> dict[str, float]:
    """Mean and quantiles (q10, q25, q50, q75, q90) of a metric over the samples."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite:
        return {"mean": math.nan}
    q = np.quantile(np.array(finite), QUANTILES)
    return {
        "mean": statistics.fmean(finite),
        **{f"q{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)},
    }


def top_shares(values: Sequence[float], space_values: np.ndarray) -> dict[str, dict[str, float]]:
    """Per top fraction f (1%, 5%): the threshold (the space's (1 - f) quantile of the metric)
    and the share of samples at or above it; higher values are better."""
    column = np.asarray(space_values, dtype=np.float64)
    samples = np.asarray(values, dtype=np.float64)
    out = {}
    for fraction in TOP_SHARES:
        threshold = float(np.quantile(column, 1.0 - fraction))
        share = float((samples >= threshold).mean()) if samples.size else math.nan
        out[f"top{round(fraction * 100)}"] = {"threshold": threshold, "share": share}
    return out
