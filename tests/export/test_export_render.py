"""Drawings: scenes, layout invariants, graphviz and matplotlib outputs, the forced fallback, diffs,
and the lossless DOT / GraphML / JSON forms."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from graphnas.export import arch_bytes, diff_bytes, diff_scene, render_scene, resolve_engine
from graphnas.export import graphviz_render as gv
from graphnas.export.formats import ExportError
from graphnas.export.layout import layer_and_order, layout_scene, quadratic_points
from graphnas.export.palette import DIFF_ADDED, DIFF_CHANGED, DIFF_REMOVED, OpPalette
from graphnas.export.scene import arch_scene
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="graphviz `dot` binary not installed")
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
SPACES = ("nb201", "nb101", "randwire_small", "enas_macro", "complete")


def sample(space: str, seed: int = 0) -> ArchGraph:
    return load_space(space).sample_prior(np.random.default_rng(seed))


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend graphviz is not installed (as on a machine without the `dot` binary)."""
    monkeypatch.setattr(gv.shutil, "which", lambda name: None)


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [el.text for el in root.iter() if el.tag.endswith("text") and el.text]


# ----------------------------------------------------------------------------- scenes
def test_nb201_scene_labels_edge_ops_and_marks_roles() -> None:
    space = load_space("nb201")
    arch = space.decode(
        "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    )
    scene = arch_scene(arch)
    assert sorted(e.label for e in scene.edges) == sorted(e.op for e in arch.edges)
    roles = {n.key: n.kind for n in scene.nodes}
    assert roles["n0"] == roles["n3"] == "role" and roles["n1"] == roles["n2"] == "op"
    assert not scene.clusters and not any(n.kind == "port" for n in scene.nodes)
    legend = {(entry.kind, entry.label) for entry in scene.legend}
    assert {("edge", op) for op in ("nor_conv_3x3", "skip_connect", "avg_pool_3x3")} <= legend
    assert ("role", "input / output node") in legend
    # Every edge op gets its own colour, the same in the legend and on the edges.
    colours = {e.label: e.color for e in scene.edges}
    assert len(set(colours.values())) == len(colours)


def test_randwire_stages_are_clusters_with_ports_in_order() -> None:
    arch = sample("randwire_small")
    scene = arch_scene(arch)
    assert scene.compact  # 32 nodes per stage: ids only, ops from the legend
    assert scene.columns == [["ns0", "ns1", "ns2"]]
    for s in range(3):
        members = [n for n in scene.nodes if n.cluster == f"ns{s}"]
        assert len([n for n in members if n.kind == "op"]) == 32
        assert {n.label for n in members if n.kind == "port"} == {"in", "out"}
    preds = arch.predecessors()
    port_edges = {(e.src, e.dst) for e in scene.edges if e.src.startswith("nin")}
    sources = {(f"nin{arch.nodes[i].stage}", f"n{i}") for i in range(96) if not preds[i]}
    assert port_edges == sources


def test_node_and_edge_ops_never_share_a_colour() -> None:
    palette = OpPalette.for_archs([sample("enas_macro", s) for s in range(5)])
    assert not set(palette.node_colors.values()) & set(palette.edge_colors.values())


def test_diff_marks_added_removed_and_changed() -> None:
    space = load_space("nb201")
    a = space.decode("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|")
    b = space.decode("|nor_conv_1x1~0|+|skip_connect~0|none~1|+|none~0|nor_conv_3x3~1|none~2|")
    scene = diff_scene(a, b)
    colour = {(e.src, e.dst): e.color for e in scene.edges}
    assert colour[("p0n2", "p0n3")] == DIFF_REMOVED  # 2->3 only in A
    assert colour[("p1n1", "p1n3")] == DIFF_ADDED  # 1->3 only in B
    assert colour[("p0n0", "p0n1")] == colour[("p1n0", "p1n1")] == DIFF_CHANGED  # op changed
    assert colour[("p0n0", "p0n2")] not in (DIFF_ADDED, DIFF_REMOVED, DIFF_CHANGED)
    assert scene.columns == [["p0n" + "s0"], ["p1n" + "s0"]]


# ----------------------------------------------------------------------------- layout
@pytest.mark.parametrize("space", SPACES)
def test_layout_points_every_edge_right_and_keeps_nodes_apart(space: str) -> None:
    scene = arch_scene(sample(space, 3))
    layout = layout_scene(scene)
    pos = layout.positions
    assert all(pos[e.src][0] < pos[e.dst][0] for e in scene.edges)
    points = np.array(list(pos.values()))
    gaps = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points)) * 1e9
    assert gaps.min() >= 0.4 - 1e-9  # at least one row apart
    for key, (x0, y0, x1, y1) in layout.frames.items():
        for node in scene.nodes_in(key):
            assert x0 < pos[node.key][0] < x1 and y0 < pos[node.key][1] < y1
    assert points[:, 0].min() >= 0 and points[:, 0].max() <= layout.width
    assert points[:, 1].min() >= 0 and points[:, 1].max() <= layout.height


def test_stacked_stage_frames_do_not_overlap_and_go_down_in_order() -> None:
    layout = layout_scene(arch_scene(sample("randwire_small", 1)))
    frames = [layout.frames[f"ns{s}"] for s in range(3)]
    for upper, lower in itertools.pairwise(frames):
        assert lower[3] < upper[1]  # the next stage's top is below this stage's bottom


def test_layering_is_longest_path() -> None:
    keys = ["a", "b", "c", "d"]
    placed = layer_and_order(keys, [("a", "b"), ("b", "c"), ("a", "c"), ("a", "d")])
    assert {k: v[0] for k, v in placed.items()} == {"a": 0, "b": 1, "c": 2, "d": 1}


def test_long_edges_bend_around_the_nodes_they_skip() -> None:
    # A chain with skips: every node sits on one line, so a straight skip would cross nodes.
    space = load_space("enas_macro")
    scene = arch_scene(space.example())
    layout = layout_scene(scene)
    centres = np.array(list(layout.positions.values()))
    for edge, bend in zip(scene.edges, layout.bends, strict=True):
        start, end = layout.positions[edge.src], layout.positions[edge.dst]
        curve = quadratic_points(start, end, bend, np.linspace(0.2, 0.8, 7))
        others = np.array([c for c in centres if tuple(c) not in (start, end)])
        near = np.abs(curve[:, None, :] - others[None]) < (0.45, 0.2)
        assert not near.all(-1).any(), edge


# ----------------------------------------------------------------------------- engines
def test_fallback_is_chosen_without_dot(no_dot: None) -> None:
    assert resolve_engine("auto") == "matplotlib"
    with pytest.raises(ExportError, match="dot"):
        resolve_engine("graphviz")
    with pytest.raises(ExportError, match="unknown engine"):
        resolve_engine("cairo")


@needs_dot
def test_graphviz_is_chosen_when_dot_is_present() -> None:
    assert resolve_engine("auto") == "graphviz"


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_matplotlib_fallback_renders_every_format(no_dot: None, fmt: str) -> None:
    data = arch_bytes(sample("nb201", 1), fmt)
    _check_image(data, fmt)
    if fmt == "svg":
        texts = svg_texts(data)
        assert "in" in texts and "out" in texts
        assert any(t.startswith("edge: ") for t in texts)  # the legend


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_graphviz_renders_every_format(fmt: str) -> None:
    data = arch_bytes(sample("nb201", 1), fmt, engine="graphviz")
    _check_image(data, fmt)
    if fmt == "svg":
        root = ET.fromstring(data)
        titles = [el.text for el in root.iter() if el.tag.endswith("title")]
        assert {"n0", "n1", "n2", "n3"} <= set(titles)


@needs_dot
def test_graphviz_and_matplotlib_draw_the_same_nodes() -> None:
    arch = sample("randwire_small", 2)
    with_graphviz = svg_texts(arch_bytes(arch, "svg", engine="graphviz"))
    with_mpl = svg_texts(arch_bytes(arch, "svg", engine="matplotlib"))
    ids = {str(i) for i in range(96)}
    assert ids <= set(with_graphviz) and ids <= set(with_mpl)


@needs_dot
def test_graphviz_stacks_stages_top_to_bottom_and_diff_panels_left_to_right() -> None:
    space = load_space("randwire_small")
    for seed in range(3):
        a = space.sample_prior(np.random.default_rng(seed))
        b = space.mutate(a, np.random.default_rng(seed + 10))
        for scene in (arch_scene(a), diff_scene(a, b)):
            plain = subprocess.run(
                ["dot", "-Tplain"], input=gv.scene_to_dot(scene).encode(), capture_output=True
            ).stdout.decode()
            ys = {
                f[1]: (float(f[2]), float(f[3]))
                for f in map(str.split, plain.splitlines())
                if f[0] == "node"
            }
            for column in scene.columns:
                mean_y = [np.mean([ys[n.key][1] for n in scene.nodes_in(k)]) for k in column]
                assert mean_y == sorted(mean_y, reverse=True)  # plain y grows upwards
            if len(scene.columns) == 2:
                left = max(ys[n.key][0] for k in scene.columns[0] for n in scene.nodes_in(k))
                right = min(ys[n.key][0] for k in scene.columns[1] for n in scene.nodes_in(k))
                assert left < right


@pytest.mark.parametrize("engine", ["graphviz", "matplotlib"])
def test_diff_renders(engine: str) -> None:
    if engine == "graphviz" and not HAS_DOT:
        pytest.skip("graphviz `dot` binary not installed")
    space = load_space("nb201")
    a, b = (
        space.sample_prior(np.random.default_rng(0)),
        space.sample_prior(np.random.default_rng(1)),
    )
    data = diff_bytes(a, b, "svg", names=("left", "right"), engine=engine)
    assert b"left" in data and b"right" in data
    with pytest.raises(ExportError):
        diff_bytes(a, b, "graphml")


def test_render_scene_refuses_non_image_formats() -> None:
    with pytest.raises(ExportError, match="not an image format"):
        render_scene(arch_scene(sample("nb201")), "dot")


# ----------------------------------------------------------------------------- data formats
@pytest.mark.parametrize("space", SPACES)
def test_json_graphml_and_styled_dot_round_trip(space: str) -> None:
    for seed in range(3):
        arch = sample(space, seed).replace(meta={"note": 'quote " and \\ backslash', "k": 3})
        for fmt, read in (
            ("json", ArchGraph.from_json),
            ("graphml", ArchGraph.from_graphml),
            ("dot", ArchGraph.from_dot),
        ):
            back = read(arch_bytes(arch, fmt).decode())
            assert back == arch and back.space == arch.space, fmt
            assert dict(back.meta) == dict(arch.meta), fmt


def test_styled_dot_keeps_the_drawing_attributes() -> None:
    dot = arch_bytes(sample("randwire_small"), "dot").decode()
    assert "rankdir=LR" in dot and 'packmode="array_ut3"' in dot
    assert dot.count('subgraph "cluster_') == 3 and "stage 0 (32 nodes)" in dot


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ExportError, match="unknown format 'bmp'"):
        arch_bytes(sample("nb201"), "bmp")


def _check_image(data: bytes, fmt: str) -> None:
    if fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
    else:
        assert data.startswith(MAGIC[fmt])
    assert len(data) > 1000
