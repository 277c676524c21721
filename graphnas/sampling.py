"""`graphnas sample`: draw architectures from a search's trained generator, or from a space's prior,
and describe the draw.

The report gives validity (fraction valid in the space), uniqueness (distinct canonical hashes),
novelty (fraction not evaluated by the search, for a run directory) and, on NAS-Bench-201, the
test accuracy of the samples (mean and quantiles, looked up in the table) next to that of as many
draws from the uniform prior and the mean over the whole space.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas.errors import GraphnasError, InputFileError
from graphnas.graph import ArchGraph
from graphnas.rundir import RunDir, json_safe, read_jsonl
from graphnas.spaces import SearchSpace, load_space

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass
class Source:
    """Where samples come from: a trained generator (run directory) or a space's prior."""

    space: SearchSpace
    description: str
    generator: Any | None = None  # an AutoregressiveGenerator, None for the prior
    evaluated: set[str] = field(default_factory=set)
    evaluator: dict[str, Any] | None = None  # the run's evaluator config


def open_source(target: str, device: str = "cpu") -> Source:
    """A run directory (with config.yaml and checkpoint.pt) or a space name/YAML path."""
    path = Path(target)
    if path.is_dir():
        return _run_source(RunDir(path), device)
    space = load_space(target)
    return Source(space, f"the prior of space {space.name!r}")


def _run_source(run: RunDir, device: str) -> Source:
    from graphnas.config import load_search_config
    from graphnas.resume import load_checkpoint
    from graphnas.search import component_seed
    from graphnas.strategies import STRATEGIES

    if not run.config.is_file():
        raise InputFileError(f"{run.path}: not a run directory (no config.yaml)")
    if not run.checkpoint.is_file():
        raise InputFileError(f"{run.path}: the run has no checkpoint.pt to read its generator from")
    config = load_search_config(run.config)
    space = load_space(config.space)
    strategy = STRATEGIES.build(
        config.strategy.name,
        config.strategy.params,
        {
            "space": space,
            "seed": component_seed(config.seed, "strategy"),
            "device": torch.device(device),
        },
    )
    if not hasattr(strategy, "model"):
        raise GraphnasError(
            f"{run.path}: strategy {config.strategy.name!r} has no generator to sample from; "
            f"sample the space's prior instead (graphnas sample {config.space})"
        )
    strategy.load_state_dict(load_checkpoint(run.checkpoint)["strategy"])
    evaluated = {str(e["hash"]) for e in read_jsonl(run.ledger)} if run.ledger.exists() else set()
    return Source(
        space,
        f"the generator of run {run.path} ({config.strategy.name}, {len(evaluated)} evaluated)",
        strategy.model,
        evaluated,
        {"name": config.evaluator.name, "params": dict(config.evaluator.params)},
    )


def draw(
    source: Source, n: int, seed: int = 0, temperature: float | None = None
) -> list[ArchGraph]:
    """n architectures; generator samples carry their log-probability in `meta`."""
    if n < 1:
        raise GraphnasError(f"-n: must be >= 1, got {n}")
    if temperature is not None and not temperature > 0:
        raise GraphnasError(f"--temperature: must be > 0, got {temperature}")
    if source.generator is None:
        rng = np.random.default_rng(seed)
        return [source.space.sample_prior(rng) for _ in range(n)]
    model = source.generator
    rng_t = torch.Generator(device=model.device).manual_seed(seed)
    archs: list[ArchGraph] = []
    for start in range(0, n, 1000):
        batch = model.sample(min(1000, n - start), rng_t, temperature)
        archs += [
            a.replace(meta={"log_prob": float(lp)})
            for a, lp in zip(batch.archs, batch.log_prob.tolist(), strict=True)
        ]
    return archs


def report(source: Source, archs: list[ArchGraph], seed: int = 0) -> dict[str, Any]:
    """Validity, uniqueness, novelty and (NB201) test accuracy against the uniform prior."""
    space = source.space
    valid = [a for a in archs if space.is_valid(a)]
    hashes = [space.canonical_hash(a) for a in valid]
    out: dict[str, Any] = {
        "source": source.description,
        "samples": len(archs),
        "validity": len(valid) / len(archs),
        "uniqueness": len(set(hashes)) / len(archs),
    }
    if source.generator is not None:
        novel = [h for h in hashes if h not in source.evaluated]
        out["novelty"] = len(novel) / len(archs)
        out["novel_unique"] = len(set(novel))
    if space.kind == "nb201":
        out.update(_nb201_quality(source, valid, seed))
    return out


def _nb201_quality(source: Source, archs: list[ArchGraph], seed: int) -> dict[str, Any]:
    from graphnas.evaluators.nb201_table import NB201TableEvaluator

    params = dict((source.evaluator or {}).get("params") or {})
    dataset = params.get("dataset", "cifar10")
    evaluator = NB201TableEvaluator(source.space, dataset=dataset)
    rng = np.random.default_rng(seed + 1)
    prior = [source.space.sample_prior(rng) for _ in range(len(archs))]
    space_mean = float(np.mean(evaluator.table.columns[f"test_{evaluator.dataset}"]))
    return {
        "dataset": evaluator.dataset,
        "test_accuracy": _stats([r.metrics["test_accuracy"] for r in evaluator.evaluate(archs)]),
        "prior_test_accuracy": _stats(
            [r.metrics["test_accuracy"] for r in evaluator.evaluate(prior)]
        ),
        "space_mean_test_accuracy": space_mean,
    }


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": math.nan}
    q = np.quantile(np.array(values, dtype=float), QUANTILES)
    return {
        "mean": statistics.mean(values),
        **{f"q{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)},
    }


def write_jsonl(archs: list[ArchGraph], path: Path) -> None:
    """One architecture JSON object per line."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for arch in archs:
            handle.write(json.dumps(json_safe(arch.to_dict()), separators=(",", ":")) + "\n")


def format_report(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines of a report."""
    lines = [
        f"source:      {summary['source']}",
        f"samples:     {summary['samples']}",
        f"validity:    {summary['validity']:.3f}",
        f"uniqueness:  {summary['uniqueness']:.3f}",
    ]
    if "novelty" in summary:
        lines.append(
            f"novelty:     {summary['novelty']:.3f} not evaluated by the search "
            f"({summary['novel_unique']} distinct new networks)"
        )
    if "test_accuracy" in summary:
        for key, label in (("test_accuracy", "samples"), ("prior_test_accuracy", "prior")):
            s = summary[key]
            quantiles = ", ".join(f"{k}={v:.2f}" for k, v in s.items() if k != "mean")
            lines.append(
                f"test acc ({summary['dataset']}, {label}): mean {s['mean']:.3f}; {quantiles}"
            )
        lines.append(f"space mean test acc: {summary['space_mean_test_accuracy']:.3f}")
    return lines
