"""`graphnas sample`: draw architectures from a search's trained generator, or from a space's prior,
and describe the draw with the distribution metrics of `graphnas.distribution`.

A run directory is rebuilt from its own config (the search build's evaluator, the strategy seeded
as the search seeded it) and checkpoint; the generator is the strategy's `distribution()` (its
`model`, refined by its `release` rule where it has one). Novelty is measured against the run's
ledger. Quality and top-1%/5% shares are reported where the evaluator knows every value of its
report metric over the space (`metric_values`, e.g. a benchmark table), next to as many draws
from the space's prior; nothing here knows any particular space or table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas.distribution import (
    Support,
    effective_support,
    identity_metrics,
    quality,
    top_shares,
)
from graphnas.errors import GraphnasError, InputFileError
from graphnas.graph import ArchGraph
from graphnas.runfiles import json_safe
from graphnas.spaces import SearchSpace, load_space

ENUMERATE_LIMIT = 20_000  # spaces up to this size get an exact entropy (every arch scored)
SCORE_BATCH = 2048


@dataclass
class Source:
    """Where samples come from: a trained generator (run directory) or a space's prior.

    `evaluated`: hashes in the run's ledger (None for a prior); `evaluator`: the run's evaluator,
    used for quality where it knows the whole space (None: no quality)."""

    space: SearchSpace
    description: str
    generator: Any | None = None  # an AutoregressiveGenerator; None for the prior
    evaluated: set[str] | None = None
    evaluator: Any | None = None


def open_source(target: str, device: str = "cpu") -> Source:
    """A run directory (with config.yaml and checkpoint.pt) or a space name/YAML path."""
    path = Path(target)
    if path.is_dir():
        return _run_source(path, device)
    space = load_space(target)
    return Source(space, f"the prior of space {space.name!r}")


def _run_source(path: Path, device: str) -> Source:
    from graphnas.config import load_search_config
    from graphnas.search import build_evaluator
    from graphnas.search.checkpoint import load_checkpoint
    from graphnas.search.rundir import RunDir
    from graphnas.seeding import component_seed
    from graphnas.strategies import STRATEGIES

    run = RunDir(path)
    if not run.config.is_file():
        raise InputFileError(f"{run.path}: not a run directory (no config.yaml)")
    if not run.checkpoint.is_file():
        raise InputFileError(f"{run.path}: the run has no checkpoint.pt to read its generator from")
    config = replace(load_search_config(run.config), device=device)
    space, evaluator, built_on = build_evaluator(config)
    strategy = STRATEGIES.build(
        config.strategy.name,
        config.strategy.params,
        {"space": space, "seed": component_seed(config.seed, "strategy"), "device": built_on},
    )
    if not hasattr(strategy, "model"):
        raise GraphnasError(
            f"{run.path}: strategy {config.strategy.name!r} has no generator to sample from; "
            f"sample the space's prior instead (graphnas sample {config.space})"
        )
    strategy.load_state_dict(load_checkpoint(run.checkpoint)["strategy"])
    evaluated = {str(e["hash"]) for e in run.read_ledger()} if run.ledger.exists() else set()
    return Source(
        space,
        f"the generator of run {run.path} ({config.strategy.name}, {len(evaluated)} evaluated)",
        strategy.distribution(),
        evaluated,
        evaluator,
    )


def draw(
    source: Source, n: int, seed: int = 0, temperature: float | None = None
) -> list[ArchGraph]:
    """n architectures; generator samples (and draws from a uniform prior) carry their
    log-probability in `meta["log_prob"]`."""
    if n < 1:
        raise GraphnasError(f"-n: must be >= 1, got {n}")
    if temperature is not None and not temperature > 0:
        raise GraphnasError(f"--temperature: must be > 0, got {temperature}")
    if source.generator is None:
        rng = np.random.default_rng(seed)
        archs = [source.space.sample_prior(rng) for _ in range(n)]
        if not source.space.uniform_prior:
            return archs
        log_prob = -math.log(source.space.size())
        return [a.replace(meta={"log_prob": log_prob}) for a in archs]
    model = source.generator
    rng_t = torch.Generator(device=model.device).manual_seed(seed)
    archs = []
    for start in range(0, n, 1000):
        batch = model.sample(min(1000, n - start), rng_t, temperature)
        archs += [
            a.replace(meta={"log_prob": float(lp)})
            for a, lp in zip(batch.archs, batch.log_prob.tolist(), strict=True)
        ]
    return archs


def report(
    source: Source, archs: list[ArchGraph], seed: int = 0, temperature: float | None = None
) -> dict[str, Any]:
    """The distribution metrics of `archs` drawn from `source` (at `temperature`)."""
    space = source.space
    hashes = [space.canonical_hash(a) if space.is_valid(a) else None for a in archs]
    out: dict[str, Any] = {
        "source": source.description,
        **identity_metrics(hashes, source.evaluated),
        "effective_support": support_of(source, archs, hashes, temperature).to_dict(),
    }
    column = _space_column(source.evaluator)
    if column is not None:
        metric, values = column
        valid = [a for a, h in zip(archs, hashes, strict=True) if h is not None]
        rng = np.random.default_rng(seed + 1)
        prior = [space.sample_prior(rng) for _ in range(len(archs))]
        out["quality"] = {"metric": metric, **_quality_of(source.evaluator, metric, valid, values)}
        out["prior_quality"] = {
            "metric": metric,
            **_quality_of(source.evaluator, metric, prior, values),
        }
        out["space_mean"] = float(np.mean(values))
    return out


def support_of(
    source: Source,
    archs: list[ArchGraph],
    hashes: list[str | None],
    temperature: float | None = None,
) -> Support:
    """Effective support of the distribution `archs` were drawn from (exact where possible)."""
    space = source.space
    if source.generator is None:
        size = space.size() if space.uniform_prior else None
        return effective_support(uniform_size=size, hashes=[h for h in hashes if h is not None])
    space_log_probs = None
    if space.size() <= ENUMERATE_LIMIT:
        every = list(space.enumerate())
        with torch.no_grad():
            space_log_probs = torch.cat(
                [
                    source.generator.log_prob(every[i : i + SCORE_BATCH], temperature).cpu()
                    for i in range(0, len(every), SCORE_BATCH)
                ]
            ).tolist()
    return effective_support(
        space_log_probs=space_log_probs,
        sample_log_probs=[a.meta.get("log_prob", math.nan) for a in archs],
        hashes=[h for h in hashes if h is not None],
    )


def _space_column(evaluator: Any) -> tuple[str, np.ndarray] | None:
    """(report metric, its value for every architecture of the space) where the evaluator
    knows them (`metric_values`), else None."""
    from graphnas.evaluators.base import report_metric_of

    if evaluator is None:
        return None
    metric = report_metric_of(evaluator) or "reward"
    values = evaluator.metric_values(metric) if hasattr(evaluator, "metric_values") else None
    return None if values is None else (metric, np.asarray(values, dtype=np.float64))


def _quality_of(
    evaluator: Any, metric: str, archs: list[ArchGraph], space_values: np.ndarray
) -> dict[str, Any]:
    results = [r for r in evaluator.evaluate(archs) if r.ok]
    values = [r.reward if metric == "reward" else float(r.metrics[metric]) for r in results]
    return {**quality(values), **top_shares(values, space_values)}


def write_jsonl(archs: list[ArchGraph], path: Path) -> None:
    """One architecture JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for arch in archs:
            handle.write(json.dumps(json_safe(arch.to_dict()), separators=(",", ":")) + "\n")


def format_report(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines of a report."""
    support = summary["effective_support"]
    lines = [
        f"source:      {summary['source']}",
        f"samples:     {summary['samples']}",
        f"validity:    {summary['validity']:.3f}",
        f"uniqueness:  {summary['uniqueness']:.3f} ({summary['distinct']} distinct)",
        f"support:     {support['value']:.1f} effective architectures "
        f"(exp entropy, {support['method']})",
    ]
    if "novelty" in summary:
        lines.append(
            f"novelty:     {summary['novelty']:.3f} not evaluated by the search "
            f"({summary['novel_distinct']} distinct new networks)"
        )
    for key, label in (("quality", "samples"), ("prior_quality", "prior")):
        if key in summary:
            s = summary[key]
            quantiles = ", ".join(f"{k}={s[k]:.2f}" for k in s if k.startswith("q"))
            lines.append(
                f"{s['metric']} ({label}): mean {s['mean']:.3f}; {quantiles}; "
                f"top 1% {s['top1']['share']:.3f}, top 5% {s['top5']['share']:.3f} "
                f"(>= {s['top5']['threshold']:.2f})"
            )
    if "space_mean" in summary:
        lines.append(f"space mean:  {summary['space_mean']:.3f}")
    return lines
