"""Pictures of an export as files, and their logging to a tracker.

`write_pictures` saves the top-K drawings, the diff of the best two and the plots (anytime curve,
distributions, reward EDF) in the requested image formats. `publish` sends them to a
`graphnas.tracking.MediaTracker` (wandb): the pictures as images, the top-K as a table with a
drawing per row, and the given files (gallery, numbers, architectures) as one artifact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from graphnas.export.analysis import Analysis, anytime_points
from graphnas.export.formats import arch_bytes, diff_bytes
from graphnas.export.palette import OpPalette
from graphnas.export.plots import plot_anytime, plot_distributions, plot_edf
from graphnas.export.sources import ArchRecord, ExportSource
from graphnas.tracking import MediaTracker


def write_pictures(
    source: ExportSource,
    analysis: Analysis | None,
    folder: str | Path,
    *,
    top_k: int,
    formats: Sequence[str] = ("svg", "png"),
    engine: str = "auto",
) -> dict[str, dict[str, Path]]:
    """Write every picture in each format; return {picture name: {format: path}}.

    Names: arch_01 .. arch_K (drawings, best first), diff_1_2, anytime, distributions,
    reward_edf (the last three when the source has rewards / several architectures)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    top = source.top(top_k)
    palette = OpPalette.for_archs(r.arch for r in top)
    makers = {}
    for rank, record in enumerate(top, start=1):
        makers[f"arch_{rank:02d}"] = lambda fmt, r=record: arch_bytes(
            r.arch, fmt, engine=engine, palette=palette
        )
    if len(top) >= 2:
        names = (f"#1 ({top[0].name})", f"#2 ({top[1].name})")
        makers["diff_1_2"] = lambda fmt: diff_bytes(
            top[0].arch, top[1].arch, fmt, names=names, engine=engine
        )
    if source.evaluated():
        points = {source.path.name or "run": anytime_points(source)}
        makers["anytime"] = lambda fmt: plot_anytime(points, fmt)
    if analysis is not None and len(source.records) > 1:
        makers["distributions"] = lambda fmt: plot_distributions(analysis.features, fmt)
        rewards = {name: analysis.rewards(name) for name in analysis.sets}
        rewards = {name: values for name, values in rewards.items() if values}
        if rewards:
            makers["reward_edf"] = lambda fmt: plot_edf(rewards, fmt)
    written: dict[str, dict[str, Path]] = {}
    for name, make in makers.items():
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            path.write_bytes(make(fmt))
            written.setdefault(name, {})[fmt] = path
    return written


def publish(
    tracker: MediaTracker,
    top: Sequence[ArchRecord],
    pngs: Mapping[str, Path],
    files: Sequence[Path],
    artifact_name: str = "graphnas-export",
) -> None:
    """Log PNG pictures (`pngs` from write_pictures), the top-K table and `files`."""
    drawings = {name: path for name, path in pngs.items() if name.startswith("arch_")}
    plots = {name: path for name, path in pngs.items() if not name.startswith("arch_")}
    tracker.log_images({f"graphs/{name}": path for name, path in drawings.items()})
    tracker.log_images({f"plots/{name}": path for name, path in plots.items()})
    metric_keys = sorted(
        {k for r in top for k, v in r.metrics.items() if isinstance(v, (int, float, str))}
    )
    columns = ["rank", "name", "reward", "hash", "nodes", "edges", *metric_keys, "drawing"]
    rows = []
    for rank, record in enumerate(top, start=1):
        drawing = pngs.get(f"arch_{rank:02d}")
        if drawing is None:
            continue
        metrics = [record.metrics.get(k) for k in metric_keys]
        rows.append(
            [
                rank,
                record.name,
                record.reward,
                record.hash,
                record.arch.num_nodes,
                record.arch.num_edges,
                *metrics,
                str(drawing),
            ]
        )
    tracker.log_table("top_architectures", columns, rows, image_columns=["drawing"])
    if files:
        tracker.log_artifact(artifact_name, "graphnas-export", list(files))
