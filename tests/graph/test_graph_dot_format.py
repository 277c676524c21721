"""graphnas.graph.dot_format: the DOT reader reads back what the one writer (graphnas.export)
writes, however it is laid out, and refuses in one line what it does not fully understand
(regressions from issue 13 item 11: none of these may load as an empty or edge-missing graph)."""

from __future__ import annotations

import re

import pytest
from graph_samples import sample_archs

from graphnas.export.formats import arch_bytes, diff_bytes
from graphnas.graph import ArchGraph, InvalidArchError
from graphnas.graph.dot_format import dot_quote

STAGED = sample_archs()[-1]  # edge ops, None ops, roles, stages (so clusters), meta


def written(arch: ArchGraph) -> str:
    return arch_bytes(arch, "dot").decode()


def refused(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidArchError, match=message) as info:
        ArchGraph.from_dot(text, source="x.dot")
    assert str(info.value).startswith("x.dot: invalid: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("arch", sample_archs())
def test_the_export_writer_round_trips_every_field(arch):
    back = ArchGraph.from_dot(written(arch))
    assert back == arch and back.meta == arch.meta and back.space == arch.space


def test_quoting_round_trips_hostile_labels():
    arch = ArchGraph.build(['a"b\\c\nd', "n0 -> n1;", "}"], [(0, 1, 'x\\"y'), (1, 2)], space='s"')
    assert ArchGraph.from_dot(written(arch)) == arch
    assert dot_quote('a"\\\n') == '"a\\"\\\\\\n"'


def test_randwire_ports_and_layout_pads_lie_outside_the_architecture():
    arch = ArchGraph.build(["a", "b", "c", "d"], [(0, 1), (2, 3)], stages=[0, 0, 1, 1])
    text = written(arch)
    assert "aux" in text  # stage ports (no input/output roles) are drawn
    assert ArchGraph.from_dot(text) == arch


def test_an_edge_whose_attributes_wrap_onto_two_lines_is_kept():
    text = written(STAGED)
    wrapped = re.sub(r"(n0 -> n1 \[[^\n]*?), ", r"\1,\n      ", text, count=1)
    assert wrapped != text and "n0 -> n1" in wrapped
    assert ArchGraph.from_dot(wrapped) == STAGED
    every_comma_wrapped = text.replace(", ", ",\n")
    assert ArchGraph.from_dot(every_comma_wrapped) == STAGED


def test_one_line_dot_a_bom_and_strict_digraph_load_the_same_graph():
    text = written(STAGED)
    one_line = " ".join(line.strip() for line in text.splitlines())
    assert "\n" not in one_line
    assert ArchGraph.from_dot(one_line) == STAGED
    assert ArchGraph.from_dot("\ufeff" + text) == STAGED
    assert ArchGraph.from_dot(("\ufeff" + text).encode()) == STAGED
    assert ArchGraph.from_dot("strict " + text) == STAGED


def test_edge_chains_between_declared_nodes_are_read_as_every_edge():
    text = (
        'digraph { n0 [op="a", role=input, stage=0]; n1 [op="b", role=hidden, stage=0];'
        ' n2 [op="", role=output, stage=0]; n0 -> n1 -> n2 [op=x]; }'
    )
    arch = ArchGraph.from_dot(text)
    assert [(e.src, e.dst, e.op) for e in arch.edges] == [(0, 1, "x"), (1, 2, "x")]
    assert arch.ops == ("a", "b", None)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hello world", "not DOT"),
        ("", "holds 0 DOT graphs"),
        ("digraph {", "not DOT"),
        ("digraph { 0 -> 1 -> 2 -> 0 }", "node 0 is not declared"),
        ("digraph { a; b; a -> b }", "node a is not an architecture node"),
        ("digraph {}", "holds no architecture nodes"),
        ("strict digraph {}", "holds no architecture nodes"),
        ("graph { n0 -- n1 }", "undirected"),
        ("digraph a {} digraph b {}", "holds 2 DOT graphs"),
        ('digraph { n0 [op="a", role=hidden]; }', "n0 lacks the attribute.s. stage"),
        ("digraph { n0 [op=a, role=hidden, stage=one]; }", "stage 'one' is not an integer"),
        ("digraph { n1 [op=a, role=hidden, stage=0]; }", "node ids must be n0..n0"),
        ("digraph { n0 [op=a, role=hidden, stage=0, opp=b]; }", "unknown attribute 'opp'"),
        ("digraph { n0 [op=a, role=hidden, stage=0]; n0 -> n0 [opp=b]; }", "unknown attribute"),
        ("digraph { colour=red; n0 [op=a, role=hidden, stage=0]; }", "unknown attribute 'colour'"),
        ('digraph { node [op="a"]; n0 [role=hidden, stage=0]; }', "node defaults"),
        ("digraph { n0 [op=a, role=hidden, stage=0]; n0 -> {n1 n2}; }", "joins a subgraph"),
        ("digraph { n0 [op=a, role=hidden, stage=0]; n0 -> x; }", "node x is not declared"),
        ('digraph { meta="[1]"; n0 [op=a, role=hidden, stage=0]; }', "meta must be a JSON obj"),
        ('digraph { meta="{"; n0 [op=a, role=hidden, stage=0]; }', "meta is not JSON"),
        ('digraph { schema="x/2"; n0 [op=a, role=hidden, stage=0]; }', "unsupported schema"),
        ("digraph { n0 [op=<<B>a</B>>, role=hidden, stage=0]; }", "plain or quoted string"),
        ("digraph { n0 [op=a, role=boss, stage=0]; }", "unknown role 'boss'"),
        (b"\xff\xfe digraph {}", "not UTF-8"),
        ("digraph { p [aux=port, op=a]; n0 [op=a, role=hidden, stage=0]; }", "drawing-only"),
    ],
)
def test_what_is_not_fully_understood_is_refused_in_one_line(text, message):
    refused(text, message)


def test_a_diff_drawing_is_not_mistaken_for_an_architecture():
    a, b = sample_archs()[:2]
    refused(diff_bytes(a, b, "dot").decode(), "is not an architecture node")


def test_an_edge_dropped_from_a_written_file_is_not_silently_accepted_when_a_node_goes():
    text = written(STAGED)
    without_node = "\n".join(
        line for line in text.splitlines() if not line.strip().startswith("n1 ")
    )
    refused(without_node, "node n1 is not declared")


@pytest.mark.parametrize(
    "text", ["hello world\n", "digraph { 0 -> 1 -> 2 -> 0 }\n", "strict digraph {}\n", "\ufeff"]
)
def test_graphnas_export_refuses_a_dot_it_does_not_understand(tmp_path, capsys, text):
    from graphnas.cli import main

    source, out = tmp_path / "in.dot", tmp_path / "out.json"
    source.write_text(text, encoding="utf-8")
    assert main(["export", str(source), "--format", "json", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "in.dot" in err
    assert not out.exists()


def test_graphnas_export_reads_a_rewrapped_dot_back(tmp_path):
    from graphnas.cli import main

    source, out = tmp_path / "in.dot", tmp_path / "out.json"
    source.write_text(written(STAGED).replace(", ", ",\n"), encoding="utf-8")
    assert main(["export", str(source), "--format", "json", "--out", str(out)]) == 0
    assert ArchGraph.from_json(out.read_text()) == STAGED
