"""Self-contained HTML gallery of a run, a set of architectures, or one architecture.

One file that opens offline: every picture is an SVG embedded as a data URI, the page loads
nothing (its Content-Security-Policy forbids any fetch but data: images) and runs no script.
It shows the run summary, the anytime curve, the top-K architectures with drawings, rewards and
metrics, a diff of the best two, the distribution plots with their numbers (set summaries, MMD,
reward KS), and the run's config. The numbers are also embedded as JSON
(`<script type="application/json" id="graphnas-stats">`).
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphnas import __version__
from graphnas.export.analysis import Analysis, anytime_points
from graphnas.export.formats import diff_bytes, render_scene
from graphnas.export.palette import OpPalette
from graphnas.export.pareto import pareto_plots
from graphnas.export.plots import plot_anytime, plot_distributions, plot_edf
from graphnas.export.scene import arch_scene
from graphnas.export.sources import ArchRecord, ExportSource
from graphnas.runfiles import json_safe

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
SUMMARY_KEYS = ("queries", "failed", "duplicates", "steps", "cost_s", "wall_s", "stopped")


@dataclass
class Gallery:
    """The page and the pictures in it (name -> SVG bytes), for saving or logging."""

    html: str
    pictures: dict[str, bytes] = field(default_factory=dict)


def build_gallery(
    source: ExportSource,
    analysis: Analysis | None,
    *,
    top_k: int = 12,
    references: Mapping[str, ExportSource] | None = None,
    engine: str = "auto",
) -> Gallery:
    """The HTML gallery of `source`; `analysis` (from `analyse`) adds the distribution section."""
    top = source.top(top_k)
    palette = OpPalette.for_archs(r.arch for r in top)
    pictures: dict[str, bytes] = {}
    body: list[str] = [_header(source)]
    if source.kind == "run":
        body.append(_run_summary(source))
    if source.evaluated():
        runs = {source.path.name or "run": anytime_points(source)}
        for name, ref in (references or {}).items():
            if ref.evaluated():  # a baseline run compared on the same axes
                runs[name] = anytime_points(ref)
        pictures["anytime"] = plot_anytime(runs)
        body.append(_section("Anytime curve", _img(pictures["anytime"], "anytime curve")))
        sets = {source.path.name or "run": source.records}
        sets.update({name: ref.records for name, ref in (references or {}).items()})
        for metric, svg in pareto_plots(sets).items():  # runs with cost metrics (objective)
            pictures[f"pareto_{metric}"] = svg
            body.append(_section(f"Pareto front: reward vs {metric}", _img(svg, "Pareto front")))
    cards = []
    for rank, record in enumerate(top, start=1):
        picture = render_scene(arch_scene(record.arch, palette), "svg", engine)
        pictures[f"arch_{rank:02d}"] = picture
        cards.append(_card(rank, record, picture))
    heading = f"Top {len(top)} architectures" if source.evaluated() else "Architectures"
    if source.kind == "arch":
        heading = "Architecture"
    body.append(_section(heading, f'<div class="grid">{"".join(cards)}</div>'))
    if len(top) >= 2:
        names = (f"#1 ({top[0].name})", f"#2 ({top[1].name})")
        pictures["diff_1_2"] = diff_bytes(
            top[0].arch, top[1].arch, "svg", names=names, engine=engine
        )
        body.append(_section("Best vs runner-up", _img(pictures["diff_1_2"], "diff of #1 and #2")))
    if analysis is not None and len(source.records) > 1:
        body.append(_distributions(analysis, pictures))
    if source.config_text:
        body.append(
            _section(
                "Config",
                f"<details><summary>config.yaml</summary><pre>"
                f"{_esc(source.config_text)}</pre></details>",
            )
        )
    stats = analysis.numbers if analysis is not None else {}
    return Gallery(_page(source, "".join(body), stats), pictures)


# ----------------------------------------------------------------------------- sections
def _header(source: ExportSource) -> str:
    kind = {"run": "run directory", "archs": "architecture set", "arch": "architecture"}
    return (
        f"<header><h1>graphnas · {_esc(source.path.name)}</h1>"
        f'<p class="sub">{kind[source.kind]} <code>{_esc(str(source.path))}</code> · '
        f"{len(source.records)} architecture{'s' if len(source.records) != 1 else ''} · "
        f"graphnas {__version__}</p></header>"
    )


def _run_summary(source: ExportSource) -> str:
    summary = source.summary
    rows = [(key, summary[key]) for key in SUMMARY_KEYS if key in summary]
    best = summary.get("best") or {}
    if best:
        rows.insert(0, ("best reward", best.get("reward")))
        if best.get("code"):
            rows.insert(1, ("best code", best["code"]))
    if not rows:
        evaluated = source.evaluated()
        rows = [("evaluations", len(source.records)), ("with a reward", len(evaluated))]
    return _section("Run", _table(["", "value"], [[k, v] for k, v in rows]))


def _card(rank: int, record: ArchRecord, picture: bytes) -> str:
    arch = record.arch
    title = f"#{rank} · {record.name}"
    reward = (
        f'<p class="reward">reward <b>{_fmt(record.reward)}</b></p>'
        if record.reward is not None
        else ""
    )
    facts = [["nodes", arch.num_nodes], ["edges", arch.num_edges]]
    if arch.space:
        facts.insert(0, ["space", arch.space])
    if record.hash:
        facts.append(["hash", record.hash])
    facts += [[k, v] for k, v in sorted(record.metrics.items()) if _is_scalar(v)]
    return (
        f'<article class="card"><h3>{_esc(title)}</h3>{reward}'
        f"{_img(picture, f'architecture {title}')}"
        f"{_table([], facts)}"
        f"<details><summary>architecture JSON</summary><pre>{_esc(arch.to_json())}</pre>"
        "</details></article>"
    )


def _distributions(analysis: Analysis, pictures: dict[str, bytes]) -> str:
    parts = []
    pictures["distributions"] = plot_distributions(analysis.features)
    parts.append(_img(pictures["distributions"], "graph statistic distributions"))
    reward_sets = {name: analysis.rewards(name) for name in analysis.sets}
    reward_sets = {name: values for name, values in reward_sets.items() if values}
    if reward_sets:
        pictures["reward_edf"] = plot_edf(reward_sets)
        parts.append(_img(pictures["reward_edf"], "reward EDF"))
    numbers = analysis.numbers
    header = [
        "set",
        "count",
        "validity",
        "uniqueness",
        "novelty vs",
        "nodes",
        "edges",
        "depth",
        "degree",
        "clustering",
        "path length",
        "reward mean",
        "reward max",
    ]
    rows = []
    for name, s in numbers["sets"].items():
        rewards = s.get("rewards", {})
        rows.append(
            [
                name,
                s["count"],
                s["validity"],
                s["uniqueness"],
                ", ".join(f"{ref} {_fmt(v)}" for ref, v in s.get("novelty", {}).items()),
                s["nodes"]["mean"],
                s["edges"]["mean"],
                s["depth"]["mean"],
                s["degree"]["mean"],
                s["clustering"]["mean"],
                s["path_length"]["mean"],
                rewards.get("mean", ""),
                rewards.get("max", ""),
            ]
        )
    parts.append("<h3>Sets</h3>" + _table(header, rows))
    if numbers["mmd"]:
        kernel = numbers["mmd_kernel"]
        mmd_rows = [[pair, *values.values()] for pair, values in numbers["mmd"].items()]
        first = next(iter(numbers["mmd"].values()))
        parts.append(
            f'<h3>MMD² between sets</h3><p class="note">Gaussian kernel on the '
            f"{'total variation' if kernel['kernel'] == 'tv' else 'earth mover'} distance "
            "between per-graph histograms (GraphRNN/GRAN evaluation); 0 means the same "
            "distribution.</p>" + _table(["pair", *first.keys()], mmd_rows)
        )
    if numbers["reward_ks"]:
        ks_rows = [[pair, v["ks"], v["p_value"]] for pair, v in numbers["reward_ks"].items()]
        parts.append(
            "<h3>Reward EDFs compared</h3>" + _table(["pair", "KS statistic", "p-value"], ks_rows)
        )
    return _section("Distributions", "".join(parts))


# ----------------------------------------------------------------------------- HTML helpers
def _page(source: ExportSource, body: str, stats: Mapping[str, Any]) -> str:
    data = json.dumps(json_safe(stats), indent=1).replace("</", "<\\/")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>graphnas · {_esc(source.path.name)}</title><style>{STYLE}</style></head>"
        f"<body>{body}"
        f'<script type="application/json" id="graphnas-stats">{data}</script>'
        "</body></html>\n"
    )


def _section(title: str, content: str) -> str:
    anchor = title.lower().replace(" ", "-")
    return f'<section id="{_esc(anchor)}"><h2>{_esc(title)}</h2>{content}</section>'


def _img(svg: bytes, alt: str) -> str:
    data = base64.b64encode(svg).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{_esc(alt)}">'


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table>{head}{body}</table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) or value is None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;
max-width:1400px;padding:1rem 1.5rem;color:#222;background:#fafafa}
header h1{margin:.2rem 0;font-size:1.5rem}.sub{color:#666;margin:.2rem 0 1rem}
section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;
margin:1rem 0}h2{font-size:1.15rem;margin:.2rem 0 .6rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
img{max-width:100%;height:auto;display:block;margin:.4rem auto;background:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
.card{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem}.card h3{margin:.1rem 0}
.reward{margin:.2rem 0;color:#0b5}table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
td,th{border-bottom:1px solid #eee;padding:.15rem .5rem;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums;word-break:break-all}th{background:#f3f3f3}
pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f6f6f6;padding:.5rem;
max-height:20rem;overflow:auto}.note{color:#555;font-size:.85rem;margin:.2rem 0}
"""
