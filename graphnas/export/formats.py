"""One architecture (or a diff of two) as bytes in each export format.

Images (SVG, PNG, PDF) are drawn by graphviz when its `dot` binary is on PATH, else by
matplotlib; `engine` forces one. DOT output is the styled drawing source and also carries every
node and edge attribute, so `ArchGraph.from_dot` reads it back; GraphML and JSON are the lossless
data forms of `ArchGraph`.
"""

from __future__ import annotations

from graphnas.errors import GraphnasError
from graphnas.export.graphviz_render import dot_available, render_with_graphviz, scene_to_dot
from graphnas.export.palette import OpPalette
from graphnas.export.scene import Scene, arch_scene, diff_scene
from graphnas.graph import ArchGraph

IMAGE_FORMATS = ("svg", "png", "pdf")
ARCH_FORMATS = (*IMAGE_FORMATS, "dot", "graphml", "json")
FORMATS = (*ARCH_FORMATS, "html")
ENGINES = ("auto", "graphviz", "matplotlib")


class ExportError(GraphnasError):
    """An export was asked for something it cannot produce (format, engine, output path)."""


def resolve_engine(engine: str = "auto") -> str:
    """ "graphviz" or "matplotlib": auto picks graphviz when the `dot` binary is present."""
    if engine not in ENGINES:
        raise ExportError(f"--engine: unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    if engine == "auto":
        return "graphviz" if dot_available() else "matplotlib"
    if engine == "graphviz" and not dot_available():
        raise ExportError(
            "--engine graphviz: the graphviz `dot` binary is not on PATH "
            "(install graphviz, or use --engine matplotlib)"
        )
    return engine


def render_scene(scene: Scene, fmt: str, engine: str = "auto") -> bytes:
    """A scene as svg, png or pdf bytes."""
    if fmt not in IMAGE_FORMATS:
        raise ExportError(f"--format: {fmt!r} is not an image format ({', '.join(IMAGE_FORMATS)})")
    if resolve_engine(engine) == "graphviz":
        return render_with_graphviz(scene, fmt)
    from graphnas.export.mpl_render import render_with_matplotlib  # numpy + matplotlib: lazily

    return render_with_matplotlib(scene, fmt)


def arch_bytes(
    arch: ArchGraph,
    fmt: str,
    *,
    engine: str = "auto",
    palette: OpPalette | None = None,
    title: str | None = None,
) -> bytes:
    """One architecture in `fmt` (svg, png, pdf, dot, graphml or json)."""
    if fmt == "json":
        return (arch.to_json(indent=2) + "\n").encode()
    if fmt == "graphml":
        return (arch.to_graphml() + "\n").encode()
    scene = arch_scene(arch, palette, title)
    if fmt == "dot":
        return scene_to_dot(scene).encode()
    if fmt in IMAGE_FORMATS:
        return render_scene(scene, fmt, engine)
    raise ExportError(f"--format: unknown format {fmt!r}; valid: {', '.join(ARCH_FORMATS)}")


def diff_bytes(
    a: ArchGraph,
    b: ArchGraph,
    fmt: str,
    *,
    names: tuple[str, str] = ("A", "B"),
    engine: str = "auto",
    title: str | None = None,
) -> bytes:
    """Side-by-side drawing of two architectures with their differences marked (svg, png, pdf
    or dot)."""
    scene = diff_scene(a, b, names, title=title)
    if fmt == "dot":
        return scene_to_dot(scene).encode()
    if fmt in IMAGE_FORMATS:
        return render_scene(scene, fmt, engine)
    raise ExportError(f"--format: a diff is drawn as svg, png, pdf, dot or html, not {fmt!r}")
