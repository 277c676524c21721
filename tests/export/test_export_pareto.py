"""export.pareto: fronts on hand-made points and the per-metric plots the gallery embeds."""

from __future__ import annotations

import numpy as np

from graphnas.export.pareto import front_points, pareto_plots
from graphnas.export.sources import ArchRecord
from graphnas.spaces import load_space


def _records(points, key="cost/params"):
    space = load_space("nb201")
    rng = np.random.default_rng(0)
    return [
        ArchRecord(space.sample_prior(rng), f"#{i}", reward, {key: cost}, "ok")
        for i, (cost, reward) in enumerate(points)
    ]


def test_front_points_keep_the_non_dominated_ones_by_increasing_cost() -> None:
    points = [(3.0, 0.9), (1.0, 0.5), (2.0, 0.4), (2.0, 0.7), (4.0, 0.9), (0.5, 0.5)]
    assert front_points(points) == [(0.5, 0.5), (2.0, 0.7), (3.0, 0.9)]
    assert front_points([(1.0, 0.5), (1.0, 0.5)]) == [(1.0, 0.5), (1.0, 0.5)]  # ties stay


def test_pareto_plots_draw_only_the_recorded_cost_metrics() -> None:
    run = _records([(1.0, 0.5), (2.0, 0.7), (3.0, 0.6)])
    other = _records([(1.5, 0.8)], key="cost/flops")
    plots = pareto_plots({"run": run, "ref": other}, reward_label="valid acc")
    assert set(plots) == {"params", "flops"}
    params_svg = plots["params"].decode()
    assert "run (2 on front)" in params_svg and "ref (" not in params_svg
    assert "valid acc (higher is better)" in params_svg
    assert pareto_plots({"run": _records([(1.0, 0.5)], key="other")}) == {}
