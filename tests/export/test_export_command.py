"""`graphnas export` end to end: sources, every format, the gallery, numbers, tracking, errors."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphnas.cli import main
from graphnas.export import graphviz_render as gv
from graphnas.export import load_source, run_export
from graphnas.export.formats import ExportError, arch_bytes
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space
from graphnas.tracking import MediaTracker, TrackerGroup, WandbTracker

HAS_DOT = shutil.which("dot") is not None


def fake_reward(arch: ArchGraph) -> float:
    """Deterministic stand-in for an evaluator: more 3x3 convs, higher reward."""
    convs = sum(e.op == "nor_conv_3x3" for e in arch.edges)
    return 80.0 + 2.0 * convs + (int(arch.canonical_hash()[2:6], 16) % 100) / 100


def write_run(folder: Path, n: int = 24, space: str = "nb201", seed: int = 0) -> Path:
    """A run directory as the search loop writes it: ledger.jsonl, summary.json, config.yaml."""
    loaded = load_space(space)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    lines, best = [], None
    for q in range(1, n + 1):
        arch = loaded.sample_prior(rng)
        failed = q % 7 == 0
        reward = None if failed else fake_reward(arch)
        entry = {
            "query": q,
            "step": q,
            "seed": seed,
            "hash": loaded.canonical_hash(arch),
            "arch": arch.to_dict(),
            "reward": reward,
            "metrics": {} if failed else {"test_accuracy": (reward or 0) - 1, "params": 1000 + q},
            "cost_s": 1.0,
            "status": "failed" if failed else "ok",
            "error": "boom" if failed else None,
        }
        lines.append(json.dumps(entry))
        if reward is not None and (best is None or reward > best["reward"]):
            best = {"arch": arch.to_dict(), "hash": entry["hash"], "reward": reward}
    (folder / "ledger.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "summary.json").write_text(json.dumps({"best": best, "queries": n, "wall_s": 1.5}))
    (folder / "config.yaml").write_text(f"name: test\nspace: {space}\n")
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run")


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gv.shutil, "which", lambda name: None)


def gallery_images(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


# ----------------------------------------------------------------------------- sources
def test_sources_of_every_kind(tmp_path: Path, run_dir: Path) -> None:
    run = load_source(run_dir)
    assert run.kind == "run" and len(run.records) == 24 and len(run.evaluated()) == 21
    rewards = [r.reward for r in run.top(5)]
    assert rewards == sorted(rewards, reverse=True) and rewards[0] == run.summary["best"]["reward"]
    assert run.config_text.startswith("name: test")

    space = load_space("nb201")
    archs = [space.sample_prior(np.random.default_rng(i)) for i in range(3)]
    jsonl = tmp_path / "archs.jsonl"
    jsonl.write_text("".join(a.to_json() + "\n" for a in archs))
    sampled = load_source(jsonl)
    assert sampled.kind == "archs" and sampled.archs == archs and not sampled.evaluated()
    assert sampled.top(2) == sampled.records[:2]  # no rewards: file order

    for suffix, text in (
        (".json", archs[0].to_json()),
        (".graphml", archs[0].to_graphml()),
        (".dot", arch_bytes(archs[0], "dot").decode()),
    ):
        path = tmp_path / f"one{suffix}"
        path.write_text(text)
        one = load_source(path)
        assert one.kind == "arch" and one.archs == [archs[0]]


def test_a_torn_last_ledger_line_is_skipped(run_dir: Path) -> None:
    with (run_dir / "ledger.jsonl").open("a") as handle:
        handle.write('{"query": 25, "arch": {"nod')
    assert len(load_source(run_dir).records) == 24


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"nodes": 3}', "'nodes' must be a list"),
        ("[1, 2", "not valid JSON"),
        ('{"arch": {"nodes": []}, "reward": "high"}', "reward must be a number"),
    ],
)
def test_bad_sources_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(Exception, match=message) as info:
        load_source(path)
    assert "bad.json" in str(info.value)


# ----------------------------------------------------------------------------- formats
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot", "graphml", "json"])
def test_run_exports_its_best_architecture(run_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"best.{fmt}"
    result = run_export(run_dir, fmt, out)
    assert result.written == [out] and out.stat().st_size > 100
    best = ArchGraph.from_dict(json.loads((run_dir / "summary.json").read_text())["best"]["arch"])
    if fmt in ("json", "graphml", "dot"):
        reader = {
            "json": ArchGraph.from_json,
            "graphml": ArchGraph.from_graphml,
            "dot": ArchGraph.from_dot,
        }[fmt]
        assert reader(out.read_text()) == best


def test_top_k_goes_to_a_directory_and_jsonl_to_one_file(run_dir: Path, tmp_path: Path) -> None:
    result = run_export(run_dir, "json", tmp_path / "top", top_k=4)
    names = [p.name for p in result.written]
    assert len(names) == 4 and names[0].startswith("0001_query-")
    run = load_source(run_dir)
    assert [ArchGraph.from_json(p.read_text()) for p in result.written] == [
        r.arch for r in run.top(4)
    ]
    jsonl = tmp_path / "top.jsonl"
    run_export(run_dir, "json", jsonl, top_k=3)
    assert load_source(jsonl).archs == [r.arch for r in run.top(3)]
    (tmp_path / "file.svg").write_text("x")
    with pytest.raises(ExportError, match="need a directory"):
        run_export(run_dir, "svg", tmp_path / "file.svg", top_k=2)


def test_fallback_export_of_a_jsonl_without_graphviz(no_dot: None, tmp_path: Path) -> None:
    space = load_space("randwire_small")
    jsonl = tmp_path / "archs.jsonl"
    jsonl.write_text(
        "".join(space.sample_prior(np.random.default_rng(i)).to_json() + "\n" for i in range(2))
    )
    result = run_export(jsonl, "png", tmp_path / "pngs")
    assert len(result.written) == 2
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in result.written)


@pytest.mark.parametrize("fmt", ["svg", "dot", "html"])
def test_diff_of_two_sources(run_dir: Path, tmp_path: Path, fmt: str) -> None:
    other = write_run(tmp_path / "other", seed=5)
    out = tmp_path / f"diff.{fmt}"
    result = run_export(run_dir, fmt, out, diff=other)
    assert result.written == [out]
    text = out.read_text()
    assert "run" in text and "other" in text
    with pytest.raises(ExportError, match="--diff"):
        run_export(run_dir, "json", tmp_path / "d.json", diff=other)


# ----------------------------------------------------------------------------- gallery
def test_gallery_is_self_contained_and_complete(run_dir: Path, tmp_path: Path) -> None:
    space = load_space("nb201")
    reference = tmp_path / "prior.jsonl"
    rng = np.random.default_rng(9)
    reference.write_text("".join(space.sample_prior(rng).to_json() + "\n" for _ in range(30)))
    out = tmp_path / "gallery.html"
    result = run_export(
        run_dir,
        "html",
        out,
        top_k=5,
        references=[reference],
        is_valid=space.is_valid,
        key=space.canonical_hash,
    )
    stats_path = tmp_path / "gallery.stats.json"
    assert result.written == [out, stats_path]
    html = out.read_text()
    images = gallery_images(html)
    # anytime + 5 drawings + diff + distributions + reward EDF
    assert len(images) == 9
    assert all(src.startswith("data:image/svg+xml;base64,") for src in images)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for section in (
        "Anytime curve",
        "Top 5 architectures",
        "Best vs runner-up",
        "Distributions",
        "MMD² between sets",
        "config.yaml",
    ):
        assert section in html
    stats = json.loads(stats_path.read_text())
    embedded = re.search(
        r'<script type="application/json" id="graphnas-stats">(.*?)</script>', html, re.S
    )
    assert embedded and json.loads(embedded.group(1).replace("<\\/", "</")) == stats
    assert set(stats["sets"]) == {"all", "top-5", "first 25%", "last 25%", "prior"}
    assert stats["sets"]["all"]["validity"] == 1.0
    assert 0 <= stats["sets"]["all"]["novelty"]["prior"] <= 1
    assert "novelty" not in stats["sets"]["prior"]
    assert set(stats["mmd"]) == {
        "top-5 vs all",
        "last 25% vs first 25%",
        "all vs prior",
        "top-5 vs prior",
    }
    top = stats["top"]
    assert [t["rank"] for t in top] == [1, 2, 3, 4, 5]
    assert top[0]["reward"] == json.loads((run_dir / "summary.json").read_text())["best"]["reward"]
    for rank, entry in enumerate(top, start=1):
        assert f"#{rank} · {entry['name']}" in html


def test_samples_compared_with_several_priors(tmp_path: Path) -> None:
    """Generator-style samples against WS, ER and BA prior samples: MMD ranks the matching prior
    closest, and novelty is reported against each prior."""
    from graphnas.spaces import space_from_config

    def write(name: str, prior: dict, seed: int, n: int = 20) -> Path:
        space = space_from_config({"kind": "randwire", "stage_nodes": [16], "prior": prior})
        rng = np.random.default_rng(seed)
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(space.sample_prior(rng).to_json() + "\n" for _ in range(n)))
        return path

    samples = write("samples", {"model": "ba", "m": 2}, 0)
    priors = [
        write("ws", {"model": "ws", "k": 4, "p": 0.75}, 1),
        write("er", {"model": "er", "p": 0.3}, 2),
        write("ba", {"model": "ba", "m": 2}, 3),
    ]
    result = run_export(samples, "html", tmp_path / "g.html", references=priors)
    numbers = result.analysis.numbers
    assert set(numbers["sets"]) == {"all", "ws", "er", "ba"}
    assert set(numbers["sets"]["all"]["novelty"]) == {"ws", "er", "ba"}
    degree = {ref: numbers["mmd"][f"all vs {ref}"]["degree"] for ref in ("ws", "er", "ba")}
    assert min(degree, key=degree.get) == "ba"
    html = (tmp_path / "g.html").read_text()
    assert "all vs ba" in html and "Top" not in html  # samples carry no rewards


def test_gallery_of_one_architecture_has_no_distribution_section(tmp_path: Path) -> None:
    arch = load_space("randwire_small").example()
    path = tmp_path / "arch.json"
    path.write_text(arch.to_json())
    out = tmp_path / "one.html"
    assert run_export(path, "html", out).written == [out]
    html = out.read_text()
    assert len(gallery_images(html)) == 1 and "Distributions" not in html


def test_plots_directory_holds_svg_png_and_numbers(run_dir: Path, tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    run_export(run_dir, "svg", tmp_path / "best.svg", plots_dir=plots, top_k=3)
    names = {p.name for p in plots.iterdir()}
    for stem in ("arch_01", "arch_03", "diff_1_2", "anytime", "distributions", "reward_edf"):
        assert {f"{stem}.svg", f"{stem}.png"} <= names
    assert "stats.json" in names and "arch_04.svg" not in names


# ----------------------------------------------------------------------------- tracking
class RecordingTracker:
    """A MediaTracker that remembers what it was given."""

    def __init__(self) -> None:
        self.images: dict[str, Path] = {}
        self.tables: list[tuple[str, list[str], list[list[Any]], list[str]]] = []
        self.artifacts: list[tuple[str, str, list[Path]]] = []

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        raise AssertionError("exports log no scalars")

    def finish(self, summary: Mapping[str, Any]) -> None:
        pass

    def log_images(self, images: Mapping[str, str | Path], step: int | None = None) -> None:
        self.images.update({k: Path(v) for k, v in images.items()})

    def log_table(
        self,
        key: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        image_columns: Sequence[str] = (),
    ) -> None:
        self.tables.append((key, list(columns), [list(r) for r in rows], list(image_columns)))

    def log_artifact(self, name: str, kind: str, paths: Sequence[str | Path]) -> None:
        self.artifacts.append((name, kind, [Path(p) for p in paths]))


def test_export_logs_pictures_table_and_artifact(run_dir: Path, tmp_path: Path) -> None:
    tracker = RecordingTracker()
    assert isinstance(tracker, MediaTracker)
    group = TrackerGroup([tracker])  # the group forwards media to trackers that take it
    out = tmp_path / "g.html"
    run_export(run_dir, "html", out, top_k=3, tracker=group)
    assert {f"graphs/arch_0{i}" for i in (1, 2, 3)} <= set(tracker.images)
    assert {"plots/anytime", "plots/distributions", "plots/reward_edf"} <= set(tracker.images)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tracker.images.values())
    ((key, columns, rows, image_columns),) = tracker.tables
    assert key == "top_architectures" and image_columns == ["drawing"]
    run = load_source(run_dir)
    assert [row[columns.index("reward")] for row in rows] == [r.reward for r in run.top(3)]
    assert all(Path(row[columns.index("drawing")]).is_file() for row in rows)
    ((_, kind, files),) = tracker.artifacts
    assert kind == "graphnas-export"
    assert files == [out, tmp_path / "g.stats.json"]


def test_wandb_tracker_takes_media_when_disabled(tmp_path: Path, run_dir: Path) -> None:
    tracker = WandbTracker(tmp_path, mode="disabled")
    assert isinstance(tracker, MediaTracker)
    run_export(run_dir, "png", tmp_path / "best.png", top_k=2, tracker=tracker)
    tracker.finish({})


# ----------------------------------------------------------------------------- CLI
def test_cli_exports_and_lists_files(run_dir: Path, tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "export",
                str(run_dir),
                "--format",
                "svg",
                "--out",
                str(tmp_path / "b.svg"),
                "--engine",
                "matplotlib",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'b.svg'}"
    assert (
        main(
            [
                "export",
                str(run_dir),
                "-f",
                "html",
                "-o",
                str(tmp_path / "g.html"),
                "--space",
                "nb201",
                "-k",
                "2",
            ]
        )
        == 0
    )
    assert (tmp_path / "g.stats.json").is_file()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing_dir", "-f", "svg", "-o", "x.svg"], "missing_dir: no such file or directory"),
        (["RUN", "-f", "bmp", "-o", "x.bmp"], "--format: unknown format 'bmp'"),
        (["RUN", "-f", "svg", "-o", "x.svg", "--top", "0"], "--top: must be at least 1"),
        (["RUN", "-f", "svg", "-o", "x.svg", "--engine", "tikz"], "--engine: unknown engine"),
        (["RUN", "-f", "html", "-o", "x.html", "--space", "nb999"], "unknown space 'nb999'"),
        (["NOTRUN", "-f", "svg", "-o", "x.svg"], "not a run directory (no ledger.jsonl)"),
    ],
)
def test_cli_errors_are_one_line_and_status_2(
    run_dir: Path, tmp_path: Path, capsys, args: list[str], expected: str
) -> None:
    (tmp_path / "empty").mkdir()
    args = [
        str(run_dir) if a == "RUN" else str(tmp_path / "empty") if a == "NOTRUN" else a
        for a in args
    ]
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err


def test_cli_forced_graphviz_without_dot_is_a_clear_error(
    no_dot: None, run_dir: Path, tmp_path: Path, capsys
) -> None:
    assert (
        main(
            [
                "export",
                str(run_dir),
                "-f",
                "svg",
                "-o",
                str(tmp_path / "x.svg"),
                "--engine",
                "graphviz",
            ]
        )
        == 2
    )
    assert "graphviz `dot` binary is not on PATH" in capsys.readouterr().err
