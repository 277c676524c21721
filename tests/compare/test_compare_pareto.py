"""`graphnas compare` draws each strategy's Pareto front (reward vs recorded cost metrics)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from graphnas.cli import main
from graphnas.compare import Comparison, RunRecord, StrategySpec
from graphnas.compare.plan import run_folder
from graphnas.export.pareto import hypervolume, pareto_front
from graphnas.spaces import load_space

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"

# (params, reward) per strategy; the non-dominated ones (max reward, min params) are marked.
POINTS = {
    "random": [(1.0, 0.50), (2.0, 0.70), (2.5, 0.60), (3.0, 0.90), (4.0, 0.85), (0.5, 0.40)],
    "evolution": [(1.5, 0.80), (1.5, 0.75), (5.0, 0.95), (6.0, 0.95)],
}
FRONTS = {
    "random": [[0.5, 0.40], [1.0, 0.50], [2.0, 0.70], [3.0, 0.90]],
    "evolution": [[1.5, 0.80], [5.0, 0.95]],
}


def _write_run(folder: Path, points: list[tuple[float, float]], seed: int) -> None:
    space = load_space("nb201")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    lines = []
    for query, (params, reward) in enumerate(points, start=1):
        entry = {
            "query": query,
            "arch": space.sample_prior(rng).to_dict(),
            "reward": reward,
            "status": "ok",
            "metrics": {"cost/params": params},
        }
        lines.append(json.dumps(entry))
    # a failed evaluation with a better cost is no point on the front
    failed = {"query": 99, "arch": space.sample_prior(rng).to_dict(), "reward": None}
    lines.append(json.dumps({**failed, "status": "failed", "metrics": {"cost/params": 0.1}}))
    (folder / "ledger.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_compare_writes_each_strategys_front_of_exactly_the_non_dominated_points(
    tmp_path,
) -> None:
    specs = [StrategySpec("random", {}, "random"), StrategySpec("evolution", {}, "evolution")]
    records = []
    for spec in specs:
        # two seeds of each strategy: their points are pooled
        half = len(POINTS[spec.label]) // 2
        for seed, points in enumerate([POINTS[spec.label][:half], POINTS[spec.label][half:]]):
            _write_run(run_folder(tmp_path, spec.label, seed), points, seed)
            records.append(RunRecord(spec.label, seed, anytime=[0.5]))
    comparison = Comparison(specs, [0, 1], None, "valid_acc", None, records, None)
    paths = comparison.write(tmp_path)
    saved = json.loads((tmp_path / "compare.json").read_text())
    assert saved["pareto"] == {"params": FRONTS}
    assert set(saved["pareto"]) == {"params"}  # no FLOPs / latency recorded: no plot of them
    assert paths["pareto_params"] == tmp_path / "pareto_params.svg"
    svg = paths["pareto_params"].read_text()
    assert svg.lstrip().startswith("<?xml") and "random (4 on front)" in svg
    assert "evolution (2 on front)" in svg
    table = (tmp_path / "table.md").read_text()
    assert "`pareto_params.svg`" in table and "random 4, evolution 2" in table
    # the fronts agree with pareto_front on the pooled points (reward up, params down)
    for label, points in POINTS.items():
        front = [list(points[i]) for i in pareto_front([(r, c) for c, r in points])]
        assert sorted(front) == FRONTS[label]


def test_compare_without_cost_metrics_draws_no_front(tmp_path) -> None:
    specs = [StrategySpec("random", {}, "random")]
    folder = run_folder(tmp_path, "random", 0)
    _write_run(folder, [(1.0, 0.5)], 0)
    ledger = folder / "ledger.jsonl"
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    for entry in entries:
        entry["metrics"] = {}
    ledger.write_text("".join(json.dumps(e) + "\n" for e in entries))
    comparison = Comparison(specs, [0], None, "r", None, [RunRecord("random", 0)], None)
    paths = comparison.write(tmp_path)
    assert not any(k.startswith("pareto_") for k in paths)
    assert not list(tmp_path.glob("pareto_*.svg"))
    assert "Pareto" not in (tmp_path / "table.md").read_text()


def test_hypervolume_is_the_dominated_area_up_to_the_reference() -> None:
    # steps (1, 0.5) and (2, 0.8) against ref (4, 0): 1*0.5 + 2*0.8
    assert hypervolume([(1.0, 0.5), (2.0, 0.8), (3.0, 0.7)], (4.0, 0.0)) == 0.5 + 1.6
    assert hypervolume([(5.0, 0.9)], (4.0, 0.0)) == 0.0  # beyond the reference cost
    assert hypervolume([], (4.0, 0.0)) == 0.0


def test_compare_command_in_pareto_mode_names_its_front_plot(tmp_path, capsys) -> None:
    out = tmp_path / "cmp"
    strategies = "random,evolution:population_size=6:sample_size=3"
    options = ["--strategies", strategies, "--seeds", "1", "--jobs", "1", "--out", str(out)]
    overrides = ["budget.queries=10", "tracking.backends=[]", "checkpoint_every_s=0"]
    pareto = ["objective.mode=pareto", "objective.pareto_metrics=[params]"]
    code = main(["compare", "--config", str(EXPERIMENT), *options, *overrides, *pareto])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"pareto fronts: {out / 'pareto_params.svg'}" in printed
    saved = json.loads((out / "compare.json").read_text())
    for label in ("random", "evolution:population_size=6:sample_size=3"):
        ledger = run_folder(out, label, 0) / "ledger.jsonl"
        entries = [json.loads(line) for line in ledger.open()]
        points = [
            (e["metrics"]["cost/params"], e["reward"]) for e in entries if e["status"] == "ok"
        ]
        assert len(points) == 10
        front = [list(points[i]) for i in pareto_front([(r, c) for c, r in points])]
        assert saved["pareto"]["params"][label] == sorted(front)
        assert 1 <= len(front) < len(points)
