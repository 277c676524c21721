"""Exports and pictures: drawings (graphviz, or matplotlib without it), DOT/GraphML/JSON, diffs,
the HTML gallery of a run, and the distribution analysis of architecture sets.

Depends only on `graphnas.graph` (plus the run-directory file format) and plotting libraries.
"""

from graphnas.export.analysis import Analysis, analyse
from graphnas.export.command import ExportResult, run_export
from graphnas.export.formats import (
    ENGINES,
    FORMATS,
    IMAGE_FORMATS,
    ExportError,
    arch_bytes,
    diff_bytes,
    render_scene,
    resolve_engine,
)
from graphnas.export.gallery import Gallery, build_gallery
from graphnas.export.scene import Scene, arch_scene, diff_scene
from graphnas.export.sources import ArchRecord, ExportSource, load_source

__all__ = [
    "ENGINES",
    "FORMATS",
    "IMAGE_FORMATS",
    "Analysis",
    "ArchRecord",
    "ExportError",
    "ExportResult",
    "ExportSource",
    "Gallery",
    "Scene",
    "analyse",
    "arch_bytes",
    "arch_scene",
    "build_gallery",
    "diff_bytes",
    "diff_scene",
    "load_source",
    "render_scene",
    "resolve_engine",
    "run_export",
]
