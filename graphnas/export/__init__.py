"""Exports and pictures: drawings (graphviz, or matplotlib without it), DOT/GraphML/JSON, diffs,
the HTML gallery of a run, and the distribution analysis of architecture sets.

Depends only on `graphnas.graph` (plus the run-directory file format) and plotting libraries.
Names are imported on first use, so a single drawing does not pay for numpy, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public name -> module that defines it.
_EXPORTS = {
    "Analysis": "analysis",
    "analyse": "analysis",
    "ExportResult": "command",
    "run_export": "command",
    "ENGINES": "formats",
    "FORMATS": "formats",
    "IMAGE_FORMATS": "formats",
    "ExportError": "formats",
    "arch_bytes": "formats",
    "diff_bytes": "formats",
    "render_scene": "formats",
    "resolve_engine": "formats",
    "Gallery": "gallery",
    "build_gallery": "gallery",
    "Scene": "scene",
    "arch_scene": "scene",
    "diff_scene": "scene",
    "ArchRecord": "sources",
    "ExportSource": "sources",
    "load_source": "sources",
}
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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graphnas.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"graphnas.export.{module}"), name)
    globals()[name] = value
    return value
