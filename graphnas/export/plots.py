"""Plots of a search and of architecture distributions, as SVG/PNG/PDF bytes (matplotlib, no
pyplot state): the anytime best-reward curve, reward EDFs, and degree / clustering / path-length /
op-frequency distributions of several sets side by side."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np

from graphnas.export.stats import ArchFeatures, edf, histograms, op_frequency, op_vocabulary

PNG_DPI = 144
SET_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#555555")


def plot_anytime(runs: Mapping[str, Sequence[tuple[int, float | None]]], fmt: str = "svg") -> bytes:
    """Best reward so far against the number of evaluations, one line per run; every
    evaluation's own reward as a faint dot. `runs[name]` = [(query, reward or None), ...]."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6))
    fig.subplots_adjust(left=0.11, right=0.98, top=0.91, bottom=0.14)
    ax = fig.add_subplot()
    for i, (name, points) in enumerate(runs.items()):
        color = SET_COLORS[i % len(SET_COLORS)]
        queries, best = best_so_far(points)
        finite = [(q, r) for q, r in points if r is not None and np.isfinite(r)]
        if finite:
            qs, rs = zip(*finite, strict=True)
            ax.scatter(qs, rs, s=6, color=color, alpha=0.25, linewidths=0)
        if len(queries):
            ax.step(queries, best, where="post", color=color, linewidth=1.8, label=name)
    ax.set_xlabel("evaluations (unique architectures)")
    ax.set_ylabel("reward (dots) / best so far (line)")
    ax.set_title("Anytime performance")
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize=8)
    return _save(fig, fmt)


def best_so_far(points: Sequence[tuple[int, float | None]]) -> tuple[np.ndarray, np.ndarray]:
    """(queries, running best reward) from the first finite reward on; failures are skipped."""
    queries, best, current = [], [], -np.inf
    for query, reward in sorted(points, key=lambda p: p[0]):
        if reward is not None and np.isfinite(reward):
            current = max(current, reward)
        if np.isfinite(current):
            queries.append(query)
            best.append(current)
    return np.asarray(queries), np.asarray(best)


def plot_edf(reward_sets: Mapping[str, Sequence[float]], fmt: str = "svg") -> bytes:
    """Empirical distribution functions of rewards, one curve per set (Radosavovic et al.)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6))
    fig.subplots_adjust(left=0.11, right=0.98, top=0.91, bottom=0.14)
    ax = fig.add_subplot()
    for i, (name, rewards) in enumerate(reward_sets.items()):
        values, fraction = edf(rewards)
        if len(values):
            ax.step(
                np.concatenate([[values[0]], values]),
                np.concatenate([[0.0], fraction]),
                where="post",
                color=SET_COLORS[i % len(SET_COLORS)],
                linewidth=1.8,
                label=f"{name} (n={len(values)})",
            )
    ax.set_xlabel("reward")
    ax.set_ylabel("fraction of architectures with reward ≤ x")
    ax.set_ylim(0, 1.02)
    ax.set_title("Reward EDF")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, fmt)


def plot_distributions(
    feature_sets: Mapping[str, Sequence[ArchFeatures]], fmt: str = "svg"
) -> bytes:
    """Four panels comparing the sets: degree, clustering, shortest-path length (mean per-graph
    histograms) and op frequency (share of all op labels)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = [name for name, feats in feature_sets.items() if len(feats)]
    sets = [feature_sets[name] for name in names]
    fig = Figure(figsize=(10.0, 7.0))
    # Fixed margins: a layout engine or a tight bounding box would draw the figure twice.
    fig.subplots_adjust(left=0.07, right=0.99, top=0.96, bottom=0.14, hspace=0.38, wspace=0.2)
    axes = fig.subplots(2, 2)
    for (statistic, title, xlabel), ax in zip(
        (
            ("degree", "Degree (in + out)", "degree"),
            ("clustering", "Clustering coefficient (undirected)", "clustering coefficient"),
            ("path_length", "Shortest directed path lengths", "path length (edges)"),
        ),
        axes.flat,
        strict=False,
    ):
        hists = histograms(statistic, sets) if sets else []
        for i, (name, h) in enumerate(zip(names, hists, strict=True)):
            mean = h.mean(0)
            if statistic == "clustering":  # 100 fine bins pooled into 20 for the eye
                mean = mean.reshape(20, -1).sum(1)
                x = (np.arange(20) + 0.5) / 20
            else:
                x = np.arange(len(mean))
            ax.plot(
                x,
                mean,
                marker="o",
                markersize=3,
                linewidth=1.5,
                label=name,
                color=SET_COLORS[i % len(SET_COLORS)],
            )
        if statistic != "clustering":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("mean share per graph")
        ax.grid(alpha=0.3)
    _op_bars(axes.flat[3], names, sets)
    if names:
        axes.flat[0].legend(fontsize=8)
    return _save(fig, fmt)


def _op_bars(ax, names: list[str], sets: list[Sequence[ArchFeatures]]) -> None:
    vocab = op_vocabulary(sets)
    width = 0.8 / max(len(names), 1)
    for i, (name, feats) in enumerate(zip(names, sets, strict=True)):
        frequency = op_frequency(feats)
        share = [frequency.get(op, 0.0) for op in vocab]
        ax.bar(
            np.arange(len(vocab)) + i * width,
            share,
            width,
            label=name,
            color=SET_COLORS[i % len(SET_COLORS)],
        )
    ax.set_xticks(np.arange(len(vocab)) + width * (len(names) - 1) / 2)
    ax.set_xticklabels(vocab, rotation=30, ha="right", fontsize=7)
    ax.set_title("Op frequency", fontsize=10)
    ax.set_ylabel("share of op labels")
    ax.grid(alpha=0.3, axis="y")


def _save(fig, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
    from matplotlib import rc_context

    with rc_context({"svg.fonttype": "none"}):  # SVG text stays text
        fig.savefig(
            buffer,
            format=fmt,
            dpi=PNG_DPI,
            facecolor="white",
            metadata=metadata,
        )
    return buffer.getvalue()
