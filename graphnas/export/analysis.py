"""The distribution analysis of an export source: which sets are compared and their numbers.

For a run (or any JSONL of records): all evaluated architectures, the top K by reward, the first
and last quarter of the evaluations (how the proposals moved during the search), and optional
named reference sets (e.g. WS, ER and BA prior samples from `graphnas sample`, or a baseline run).
Each set gets validity, uniqueness, novelty (against each reference) and distribution summaries;
pairs of sets get graph-statistic MMDs and, where both carry rewards, the KS statistic between
reward EDFs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphnas.export.formats import ExportError
from graphnas.export.sources import ArchRecord, ExportSource
from graphnas.export.stats import (
    DEFAULT_SIGMA,
    ArchFeatures,
    Kernel,
    arch_features,
    ks_statistic,
    mmd_report,
    novelty,
    reward_summary,
    set_summary,
)
from graphnas.graph import ArchGraph

MIN_RECORDS_FOR_QUARTERS = 8


@dataclass
class Analysis:
    """Named sets of records, their features and every number reported about them."""

    sets: dict[str, list[ArchRecord]]
    features: dict[str, list[ArchFeatures]]
    numbers: dict[str, Any] = field(default_factory=dict)

    def rewards(self, name: str) -> list[float]:
        return [r.reward for r in self.sets[name] if r.ok]  # type: ignore[misc]


def analyse(
    source: ExportSource,
    *,
    top_k: int = 12,
    references: Mapping[str, ExportSource] | None = None,
    is_valid: Callable[[ArchGraph], bool] | None = None,
    key: Callable[[ArchGraph], str] | None = None,
    kernel: Kernel = "tv",
) -> Analysis:
    """Sets, per-set summaries, MMDs and reward KS statistics of `source` and the named
    `references` (whose names must differ from the built-in set names)."""
    key = key or ArchGraph.canonical_hash
    references = dict(references or {})
    sets = _named_sets(source, top_k, references)
    # Features are computed once per architecture even when it is in several sets.
    cache: dict[int, ArchFeatures] = {}
    for records in sets.values():
        for r in records:
            if id(r) not in cache:
                cache[id(r)] = arch_features(r.arch)
    features = {name: [cache[id(r)] for r in records] for name, records in sets.items()}
    keys = {name: [key(r.arch) for r in records] for name, records in sets.items()}
    summaries = {}
    for name, records in sets.items():
        summary = set_summary(
            [r.arch for r in records], features=features[name], is_valid=is_valid, key=key
        )
        if references and name not in references:
            summary["novelty"] = {ref: novelty(keys[name], keys[ref]) for ref in references}
        rewards = [r.reward for r in records if r.ok]
        if rewards:
            summary["rewards"] = reward_summary(rewards)
        summaries[name] = summary
    pairs = _pairs(list(sets), top_k, list(references))
    analysis = Analysis(sets, features)
    analysis.numbers = {
        "source": str(source.path),
        "kind": source.kind,
        "sets": summaries,
        "mmd": {f"{a} vs {b}": mmd_report(features[a], features[b], kernel) for a, b in pairs},
        "mmd_kernel": {"kernel": kernel, "sigma": DEFAULT_SIGMA, "estimator": "biased MMD^2"},
        "reward_ks": {
            f"{a} vs {b}": ks_statistic(analysis.rewards(a), analysis.rewards(b))
            for a, b in pairs
            if analysis.rewards(a) and analysis.rewards(b)
        },
        "top": [_record_numbers(rank, r) for rank, r in enumerate(source.top(top_k), start=1)],
    }
    if source.summary:
        analysis.numbers["run_summary"] = {
            k: v for k, v in source.summary.items() if k not in ("curve", "best")
        }
    return analysis


def anytime_points(source: ExportSource) -> list[tuple[int, float | None]]:
    """(evaluation number, reward or None) per record, in evaluation order."""
    return [
        (r.query if r.query is not None else i, r.reward if r.ok else None)
        for i, r in enumerate(source.records, start=1)
    ]


def _named_sets(
    source: ExportSource, top_k: int, references: Mapping[str, ExportSource]
) -> dict[str, list[ArchRecord]]:
    records = source.records
    evaluated = source.evaluated()
    sets: dict[str, list[ArchRecord]] = {"all": records}
    if evaluated:
        sets[f"top-{top_k}"] = source.top(top_k)
    if evaluated and len(records) >= MIN_RECORDS_FOR_QUARTERS:
        quarter = len(records) // 4
        sets["first 25%"] = records[:quarter]
        sets["last 25%"] = records[-quarter:]
    clash = sorted(set(sets) & set(references))
    if clash:
        raise ExportError(f"--reference: name {clash[0]!r} is taken by a built-in set")
    sets.update({name: ref.records for name, ref in references.items()})
    return sets


def _pairs(names: list[str], top_k: int, references: list[str]) -> list[tuple[str, str]]:
    top = f"top-{top_k}"
    candidates = [(top, "all"), ("last 25%", "first 25%")]
    for ref in references:
        candidates += [("all", ref), (top, ref)]
    return [(a, b) for a, b in candidates if a in names and b in names]


def _record_numbers(rank: int, record: ArchRecord) -> Mapping[str, Any]:
    return {
        "rank": rank,
        "name": record.name,
        "reward": record.reward,
        "metrics": dict(record.metrics),
        "hash": record.hash,
        "query": record.query,
        "step": record.step,
    }
