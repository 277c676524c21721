"""Pareto fronts: the non-dominated subset of scored points, and a plot of it per strategy.

A point is a tuple of objective values; `maximize[k]` says whether objective k is maximised
(e.g. accuracy) or minimised (params, FLOPs, latency). Point a dominates b when a is at least as
good in every objective and strictly better in one. Pure Python, no dependency besides
matplotlib for the plot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphnas.export.plots import SET_COLORS, _save

Point = Sequence[float]


def _oriented(point: Point, maximize: Sequence[bool]) -> tuple[float, ...]:
    """The point with every objective turned into one to maximise."""
    if len(point) != len(maximize):
        raise ValueError(f"point {tuple(point)} has {len(point)} values, expected {len(maximize)}")
    return tuple(float(v) if up else -float(v) for v, up in zip(point, maximize, strict=True))


def dominates(a: Point, b: Point, maximize: Sequence[bool] = (True, False)) -> bool:
    """True when `a` is at least as good as `b` everywhere and strictly better somewhere."""
    oa, ob = _oriented(a, maximize), _oriented(b, maximize)
    return all(x >= y for x, y in zip(oa, ob, strict=True)) and oa != ob


def dominators(point: Point, points: Sequence[Point], maximize: Sequence[bool]) -> int:
    """How many of `points` dominate `point`."""
    return sum(dominates(other, point, maximize) for other in points)


def pareto_front(points: Sequence[Point], maximize: Sequence[bool] = (True, False)) -> list[int]:
    """Indices of the non-dominated points, in input order (points with a NaN are skipped;
    equal points are all kept). Default objectives: (reward up, cost down)."""
    finite = [i for i, p in enumerate(points) if all(np.isfinite(float(v)) for v in p)]
    oriented = {i: _oriented(points[i], maximize) for i in finite}
    # Sweep in decreasing lexicographic order: a point can only be dominated by one before it.
    order = sorted(finite, key=lambda i: oriented[i], reverse=True)
    front: list[int] = []
    for i in order:
        if not any(dominates(points[j], points[i], maximize) for j in front):
            front.append(i)
    return sorted(front)


def front_points(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (cost, reward) points on the front of max reward and min cost, by increasing cost."""
    return sorted(tuple(points[i]) for i in pareto_front([(r, c) for c, r in points]))


def hypervolume(points: Sequence[tuple[float, float]], ref: tuple[float, float]) -> float:
    """Area of the (cost, reward) plane dominated by `points` and bounded by the reference
    point `ref` = (worst cost, worst reward); points not better than `ref` in both add nothing."""
    ref_cost, ref_reward = ref
    inside = [(c, r) for c, r in points if c < ref_cost and r > ref_reward]
    front = front_points(inside) if inside else []
    area = 0.0
    for k, (cost, reward) in enumerate(front):
        next_cost = front[k + 1][0] if k + 1 < len(front) else ref_cost
        area += (next_cost - cost) * (reward - ref_reward)
    return area


def plot_pareto(
    series: Mapping[str, Sequence[tuple[float, float]]],
    cost_label: str = "params",
    reward_label: str = "reward",
    fmt: str = "svg",
    log_cost: bool = False,
) -> bytes:
    """Reward against cost for each named set of (cost, reward) points (faint dots) with its
    Pareto front (max reward, min cost) as a step line; SVG/PNG/PDF bytes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0))
    fig.subplots_adjust(left=0.11, right=0.98, top=0.91, bottom=0.13)
    ax = fig.add_subplot()
    for k, (name, points) in enumerate(series.items()):
        color = SET_COLORS[k % len(SET_COLORS)]
        pts = [(float(c), float(r)) for c, r in points if np.isfinite(c) and np.isfinite(r)]
        if not pts:
            continue
        costs, rewards = zip(*pts, strict=True)
        ax.scatter(costs, rewards, s=8, color=color, alpha=0.3, linewidths=0)
        front = front_points(pts)
        fc, fr = zip(*front, strict=True)
        ax.step(
            fc,
            fr,
            where="post",
            color=color,
            linewidth=1.8,
            marker="o",
            markersize=3,
            label=f"{name} ({len(front)} on front)",
        )
    if log_cost:
        ax.set_xscale("log")
    ax.set_xlabel(f"{cost_label} (lower is better)")
    ax.set_ylabel(f"{reward_label} (higher is better)")
    ax.set_title("Pareto front")
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8, loc="lower right")
    return _save(fig, fmt)


COST_KEYS = ("cost/params", "cost/flops", "cost/latency_ms")


def cost_points(records: Sequence[Any], key: str) -> list[tuple[float, float]]:
    """(cost, reward) of the successful records (ArchRecord-like) whose metrics carry `key`."""
    points = []
    for record in records:
        value = record.metrics.get(key) if record.ok else None
        if isinstance(value, (int, float)) and np.isfinite(value):
            points.append((float(value), float(record.reward)))
    return points


def pareto_plots(
    series: Mapping[str, Sequence[Any]], fmt: str = "svg", reward_label: str = "reward"
) -> dict[str, bytes]:
    """One Pareto plot per cost metric that the named record sets carry (e.g. one run and its
    references in the gallery, or the strategies of a compare), keyed by the metric name."""
    plots = {}
    for key in COST_KEYS:
        points = {name: cost_points(records, key) for name, records in series.items()}
        points = {name: pts for name, pts in points.items() if pts}
        if points:
            metric = key.split("/", 1)[1]
            plots[metric] = plot_pareto(
                points, metric, reward_label, fmt, log_cost=metric != "latency_ms"
            )
    return plots
