"""`graphnas sample` and its distribution metrics: hand-computed cases, collapse, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from graphnas.cli import main
from graphnas.distribution import (
    effective_support,
    entropy_of,
    identity_metrics,
    monte_carlo_entropy,
    plug_in_entropy,
    quality,
    top_shares,
)
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.generators.base import SampleBatch
from graphnas.sampling import Source, draw, report
from graphnas.spaces import load_space

REPO = Path(__file__).resolve().parents[1]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
NB201 = load_space("nb201")


# ---------------------------------------------------------------------- hand-computed metrics
def test_identity_metrics_count_valid_distinct_and_novel_samples() -> None:
    metrics = identity_metrics(["a", "a", "b", None, "c"], evaluated={"b", "z"})
    assert metrics == {
        "samples": 5,
        "validity": 0.8,
        "distinct": 3,
        "uniqueness": 0.6,
        "novelty": 0.6,  # a, a, c
        "novel_distinct": 2,
    }
    assert "novelty" not in identity_metrics(["a"])


def test_entropies_match_hand_computed_values() -> None:
    # p = (1/2, 1/4, 1/4): H = 1.5 ln 2, also from unnormalised log-weights and with -inf entries.
    assert entropy_of(np.log([0.5, 0.25, 0.25])) == pytest.approx(1.5 * math.log(2))
    assert entropy_of(np.log([2.0, 1.0, 1.0, 0.0])) == pytest.approx(1.5 * math.log(2))
    assert monte_carlo_entropy([math.log(0.5), math.log(0.25)]) == pytest.approx(1.5 * math.log(2))
    assert math.isnan(monte_carlo_entropy([math.nan]))
    assert plug_in_entropy(["a", "a", "b", "b"]) == pytest.approx(math.log(2))
    assert plug_in_entropy(["a"] * 7) == 0.0


def test_effective_support_uses_the_most_exact_method_available() -> None:
    exact = effective_support(space_log_probs=np.log([0.25] * 4), sample_log_probs=[0.0])
    assert (exact.method, exact.size) == ("exact", pytest.approx(4.0))
    assert effective_support(uniform_size=15625).to_dict() == {
        "value": 15625.0,
        "method": "uniform",
    }
    mc = effective_support(sample_log_probs=[math.log(0.5)] * 3, hashes=["a"] * 3)
    assert (mc.method, mc.size) == ("monte-carlo", pytest.approx(2.0))
    plug = effective_support(sample_log_probs=[math.nan], hashes=["a", "b", "c", "d"])
    assert (plug.method, plug.size) == ("plug-in", pytest.approx(4.0))


def test_quality_and_top_shares_against_hand_computed_values() -> None:
    space = np.arange(100.0)  # thresholds: the 0.99 quantile 98.01, the 0.95 quantile 94.05
    shares = top_shares([99.0, 98.5, 95.0, 50.0], space)
    assert shares["top1"] == {"threshold": pytest.approx(98.01), "share": 0.5}
    assert shares["top5"] == {"threshold": pytest.approx(94.05), "share": 0.75}
    q = quality([1.0, 2.0, 3.0, 4.0, 5.0, math.nan])
    assert q["mean"] == 3.0 and q["q50"] == 3.0 and q["q25"] == 2.0 and q["q90"] == 4.6


# ---------------------------------------------------------------------- collapse
class PointMass(torch.nn.Module):
    """A generator that always draws the same cell (log-probability 0; -inf for any other)."""

    def __init__(self, arch) -> None:
        super().__init__()
        self.arch = arch
        self.weight = torch.nn.Parameter(torch.zeros(1))

    @property
    def device(self) -> torch.device:
        return self.weight.device

    def sample(self, n, generator=None, temperature=None) -> SampleBatch:
        return SampleBatch([self.arch] * n, torch.zeros(n), torch.zeros(n))

    def log_prob(self, archs, temperature=None) -> torch.Tensor:
        same = [NB201.encode(a) == NB201.encode(self.arch) for a in archs]
        return torch.tensor([0.0 if s else -math.inf for s in same])


def spread_problems(summary: dict) -> list[str]:
    """What makes a 1,000-sample report a collapsed or poor distribution."""
    problems = []
    if summary["distinct"] < 100:
        problems.append(f"{summary['distinct']} distinct cells")
    if summary["effective_support"]["value"] < 50:
        problems.append(f"effective support {summary['effective_support']['value']:.1f}")
    if summary["quality"]["top5"]["share"] < 0.03:
        problems.append("almost nothing in the top 5%")
    return problems


@pytest.fixture(scope="module")
def evaluator() -> NB201TableEvaluator:
    return NB201TableEvaluator(NB201)


def test_a_point_mass_generator_is_reported_as_collapsed(evaluator) -> None:
    best = NB201.decode(evaluator.optimum()["code"])
    source = Source(NB201, "point mass", PointMass(best), {"x"}, evaluator)
    summary = report(source, draw(source, 1000))
    assert summary["distinct"] == 1 and summary["novel_distinct"] == 1
    assert summary["effective_support"] == {"value": pytest.approx(1.0), "method": "exact"}
    assert summary["quality"]["top1"]["share"] == 1.0  # perfect quality, yet collapsed:
    assert len(spread_problems(summary)) == 2


def test_the_uniform_prior_is_spread_and_its_quality_matches_the_space(evaluator) -> None:
    source = Source(NB201, "prior", None, None, evaluator)
    summary = report(source, draw(source, 1000, seed=3))
    assert summary["effective_support"] == {"value": 15625.0, "method": "uniform"}
    # ~970 distinct encodings; isomorphic NB201 cells share one canonical hash
    assert summary["distinct"] > 600 and spread_problems(summary) == []
    assert summary["quality"]["top5"]["threshold"] == pytest.approx(93.28, abs=0.01)
    assert summary["quality"]["top5"]["share"] == pytest.approx(0.05, abs=0.025)
    assert summary["quality"]["mean"] == pytest.approx(summary["space_mean"], abs=1.5)
    assert summary["space_mean"] == pytest.approx(87.06, abs=0.01)


# ---------------------------------------------------------------------- the command
def test_sample_from_a_trained_run_reports_its_distribution(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    overrides = [
        f"out={run}",
        "strategy=graphpnas",
        "strategy.params={warmup: 4, pool: 8, update: {name: tempered, steps: 2}}",
        "budget.queries=12",
        "tracking.backends=[]",
    ]
    assert main(["search", "--config", str(EXPERIMENT), *overrides]) == 0
    capsys.readouterr()
    out = tmp_path / "archs.jsonl"
    assert main(["sample", str(run), "-n", "200", "--out", str(out), "--seed", "1"]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 200 and all(json.loads(line)["space"] == "nb201" for line in lines)
    assert all(math.isfinite(json.loads(line)["meta"]["log_prob"]) for line in lines)
    summary = json.loads(out.with_suffix(".report.json").read_text())
    assert summary["validity"] == 1.0
    # Eight updates on 12 cells: far from the prior, not collapsed (the exact support says so).
    assert summary["effective_support"]["method"] == "exact"
    assert 5 < summary["effective_support"]["value"] < 15625
    assert summary["distinct"] > 10 and summary["novel_distinct"] > 5
    assert 80 < summary["prior_quality"]["mean"] < 92
    assert summary["quality"]["metric"] == "test_accuracy"
    printed = capsys.readouterr().out
    assert "novelty:" in printed and "support:" in printed and "test_accuracy (prior)" in printed
    # The metrics describe the distribution at the temperature sampled: hotter is broader.
    hot = tmp_path / "hot.jsonl"
    assert main(["sample", str(run), "-n", "200", "--out", str(hot), "--temperature", "4"]) == 0
    hot_summary = json.loads(hot.with_suffix(".report.json").read_text())
    assert hot_summary["effective_support"]["method"] == "exact"
    assert hot_summary["effective_support"]["value"] > 2 * summary["effective_support"]["value"]


def sampled_report(tmp_path: Path, name: str, overrides: list[str]) -> dict:
    """The `graphnas sample RUN -n 500` report after a 40-query recipe search."""
    run = tmp_path / name
    search = [f"out={run}", "budget.queries=40", "tracking.backends=[]", *overrides]
    assert main(["search", "--config", str(EXPERIMENT), *search]) == 0
    out = tmp_path / f"{name}.jsonl"
    assert main(["sample", str(run), "-n", "500", "--out", str(out), "--seed", "0"]) == 0
    return json.loads(out.with_suffix(".report.json").read_text())


def test_the_recipe_releases_a_broad_good_distribution_where_its_search_collapses(
    tmp_path, capsys
) -> None:
    """The recipe's search generator (release=null) is collapsed; its released distribution is
    spread, mostly new and still far better than the prior."""
    search_only = sampled_report(tmp_path, "search", ["strategy.params.release=null"])
    released = sampled_report(tmp_path, "released", [])
    assert spread_problems(search_only) != []
    assert spread_problems(released) == []
    assert released["novel_distinct"] > released["distinct"] / 2
    top5 = released["quality"]["top5"]["share"]
    assert top5 > 10 * released["prior_quality"]["top5"]["share"] and top5 > 0.4


def test_sample_from_a_space_prior(tmp_path, capsys) -> None:
    out = tmp_path / "prior.jsonl"
    assert main(["sample", "randwire_small", "-n", "3", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 3
    summary = json.loads(out.with_suffix(".report.json").read_text())
    assert summary["validity"] == 1.0 and "novelty" not in summary and "quality" not in summary
    assert summary["effective_support"]["method"] == "plug-in"


def test_sample_errors_are_one_line(tmp_path, capsys) -> None:
    run = tmp_path / "evo"
    overrides = [f"out={run}", "strategy=random", "budget.queries=3", "tracking.backends=[]"]
    assert main(["search", "--config", str(EXPERIMENT), *overrides]) == 0
    capsys.readouterr()
    for args, needle in (
        ([str(run)], "has no generator"),
        (["no-such-space"], "unknown space"),
        (["nb201", "-n", "0"], "-n"),
        ([str(tmp_path)], "not a run directory"),
    ):
        status = main(["sample", *args, "--out", str(tmp_path / "x.jsonl")])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and len(err) == 1 and needle in err[0], (args, err)
