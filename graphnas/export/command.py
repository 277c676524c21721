"""`graphnas export`: read a source, write it in one format, optionally log it to a tracker.

One architecture goes to the file --out. Several (a JSONL, or --top K of a run) go into the
directory --out, one file each named <rank>_<name>.<ext>, except JSON with an --out ending in
.jsonl, which writes one JSON line per architecture. A run directory exports its best
architecture unless --top says more. HTML writes one self-contained gallery file and its
numbers next to it (<out stem>.stats.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from graphnas.export.formats import FORMATS, ExportError, arch_bytes, diff_bytes
from graphnas.export.palette import OpPalette
from graphnas.export.sources import ArchRecord, ExportSource, load_source
from graphnas.graph import ArchGraph
from graphnas.runfiles import json_safe

if TYPE_CHECKING:  # the analysis, gallery and media modules (numpy, scipy) load when used
    from graphnas.export.analysis import Analysis
    from graphnas.tracking import MediaTracker

GALLERY_TOP_K = 12


@dataclass
class ExportResult:
    """Files written by an export (outputs first, then pictures for --plots)."""

    written: list[Path] = field(default_factory=list)
    analysis: Analysis | None = None


def run_export(
    source_path: str | Path,
    fmt: str,
    out: str | Path,
    *,
    top_k: int | None = None,
    engine: str = "auto",
    diff: str | Path | None = None,
    references: Sequence[str | Path] = (),
    plots_dir: str | Path | None = None,
    tracker: MediaTracker | None = None,
    is_valid: Callable[[ArchGraph], bool] | None = None,
    key: Callable[[ArchGraph], str] | None = None,
) -> ExportResult:
    """Export `source_path` to `out` in `fmt`; see the module docstring for the rules."""
    if fmt not in FORMATS:
        raise ExportError(f"--format: unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if top_k is not None and top_k < 1:
        raise ExportError(f"--top: must be at least 1, got {top_k}")
    out = Path(out)
    source = load_source(source_path)
    if diff is not None:
        return ExportResult([_write_diff(source, load_source(diff), fmt, out, engine)])
    refs = _load_references(references)
    k = top_k or (GALLERY_TOP_K if fmt == "html" else None)
    needs_analysis = fmt == "html" or plots_dir is not None or tracker is not None
    analysis = None
    if needs_analysis and (len(source.records) > 1 or refs):
        from graphnas.export.analysis import analyse

        analysis = analyse(
            source,
            top_k=k or GALLERY_TOP_K,
            references=refs,
            is_valid=is_valid,
            key=key,
        )
    result = ExportResult(analysis=analysis)
    if fmt == "html":
        result.written += _write_gallery(source, analysis, out, k or GALLERY_TOP_K, refs, engine)
    else:
        result.written += _write_archs(_selected(source, top_k), fmt, out, engine)
    media_k = k or GALLERY_TOP_K
    if plots_dir is not None or tracker is not None:
        from graphnas.export.media import publish, write_pictures
    if plots_dir is not None:
        pictures = write_pictures(source, analysis, plots_dir, top_k=media_k, engine=engine)
        result.written += [p for by_fmt in pictures.values() for p in by_fmt.values()]
        if analysis is not None:
            result.written.append(_write_json(Path(plots_dir) / "stats.json", analysis.numbers))
    if tracker is not None:
        folder = Path(plots_dir) if plots_dir is not None else _media_folder(out)
        pictures = write_pictures(
            source, analysis, folder, top_k=media_k, formats=("png",), engine=engine
        )
        pngs = {name: by_fmt["png"] for name, by_fmt in pictures.items()}
        publish(tracker, source.top(media_k), pngs, [p for p in result.written if p.is_file()])
    return result


def _selected(source: ExportSource, top_k: int | None) -> list[ArchRecord]:
    if source.kind == "run":
        return source.top(top_k or 1)
    return source.top(top_k) if top_k else source.records


def _write_archs(records: list[ArchRecord], fmt: str, out: Path, engine: str) -> list[Path]:
    if fmt == "json" and out.suffix == ".jsonl":
        lines = [json.dumps(r.arch.to_dict()) for r in records]
        return [_write_bytes(out, ("\n".join(lines) + "\n").encode())]
    if len(records) == 1:
        target = out / f"{_slug(records[0].name)}.{fmt}" if out.is_dir() else out
        return [_write_bytes(target, arch_bytes(records[0].arch, fmt, engine=engine))]
    if out.exists() and not out.is_dir():
        raise ExportError(
            f"--out: {out} is a file, but {len(records)} architectures need a directory"
        )
    palette = OpPalette.for_archs(r.arch for r in records)
    written = []
    for rank, record in enumerate(records, start=1):
        data = arch_bytes(record.arch, fmt, engine=engine, palette=palette)
        written.append(_write_bytes(out / f"{rank:04d}_{_slug(record.name)}.{fmt}", data))
    return written


def _write_diff(
    source: ExportSource, other: ExportSource, fmt: str, out: Path, engine: str
) -> Path:
    if fmt not in ("svg", "png", "pdf", "dot", "html"):
        raise ExportError(f"--diff: draws svg, png, pdf, dot or html, not {fmt!r}")
    a, b = source.top(1)[0], other.top(1)[0]
    names = (f"{source.path.name}: {a.name}", f"{other.path.name}: {b.name}")
    if fmt == "html":
        from graphnas.export.gallery import build_gallery

        both = ExportSource(
            "archs", source.path, [replace(a, name=names[0]), replace(b, name=names[1])]
        )
        return _write_bytes(out, build_gallery(both, None, engine=engine).html.encode())
    return _write_bytes(out, diff_bytes(a.arch, b.arch, fmt, names=names, engine=engine))


def _write_gallery(
    source: ExportSource,
    analysis: Analysis | None,
    out: Path,
    top_k: int,
    references: dict[str, ExportSource],
    engine: str,
) -> list[Path]:
    from graphnas.export.gallery import build_gallery

    gallery = build_gallery(source, analysis, top_k=top_k, references=references, engine=engine)
    written = [_write_bytes(out, gallery.html.encode())]
    if analysis is not None:
        written.append(_write_json(out.with_name(out.stem + ".stats.json"), analysis.numbers))
    return written


def _load_references(paths: Sequence[str | Path]) -> dict[str, ExportSource]:
    """Reference sets named after their files (stem) or run directories, made unique."""
    references: dict[str, ExportSource] = {}
    for path in paths:
        source = load_source(path)
        name = source.path.stem if source.kind != "run" else source.path.name
        unique, n = name, 1
        while unique in references:
            n += 1
            unique = f"{name}-{n}"
        references[unique] = source
    return references


def _write_json(path: Path, data: object) -> Path:
    text = json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n"
    return _write_bytes(path, text.encode())


def _write_bytes(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as err:
        raise ExportError(f"--out: cannot write {path} ({err.strerror or err})") from None
    return path


def _media_folder(out: Path) -> Path:
    return out.with_name(out.stem + "_media") if out.suffix else out / "media"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "arch"
