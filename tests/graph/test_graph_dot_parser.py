"""graphnas.graph.dot_parser: the DOT grammar, checked by hand on each construct and against
pydot's independent pyparsing grammar on random documents (pydot is a dev dependency)."""

from __future__ import annotations

import itertools
import random
import time
import warnings

import pytest

from graphnas.graph.dot_parser import (
    MAX_DEPTH,
    AttrStmt,
    Block,
    DotSyntaxError,
    EdgeStmt,
    NodeStmt,
    Value,
    parse_dot,
)


def only_body(text: str) -> Block:
    (graph,) = parse_dot(text)
    return graph.body


def test_every_statement_kind():
    body = only_body(
        'strict digraph G { node [shape=box]; a [x="1", y=2; z=<<b>h</b>>]; k = v;'
        " a -> b -> c [w=1][u=2]; subgraph s { d } {e} -> f:p:ne }"
    )
    defaults, a, assign, chain, sub, to_port = body.statements
    assert defaults == AttrStmt("node", [("shape", Value("box"))])
    assert a == NodeStmt(
        "a",
        None,
        [("x", Value("1", "quoted")), ("y", Value("2")), ("z", Value("<b>h</b>", "html"))],
    )
    assert assign == AttrStmt("graph", [("k", Value("v"))])
    assert isinstance(chain, EdgeStmt)
    assert chain.endpoints == [("a", None), ("b", None), ("c", None)]
    assert chain.attrs == [("w", Value("1")), ("u", Value("2"))]
    assert isinstance(sub, Block) and sub.name == "s"
    assert isinstance(to_port, EdgeStmt) and isinstance(to_port.endpoints[0], Block)
    assert to_port.endpoints[1] == ("f", "p:ne")
    assert parse_dot("strict digraph G {}")[0].strict
    assert not parse_dot("graph {}")[0].directed


def test_strings_comments_keywords_and_numerals():
    body = only_body(
        "# a preprocessor line\n/* block\ncomment */ DiGraph { // line comment\n"
        ' "quo\\"ted" [l="a" + "b", m="x\\\ny", n=-.5, o=1.25, p=é]; }'
    )
    (node,) = body.statements
    assert isinstance(node, NodeStmt) and node.name == 'quo\\"ted'
    assert dict(node.attrs) == {
        "l": Value("ab", "quoted"),
        "m": Value("x\\\ny", "quoted"),  # escapes are kept: interpreting them is the reader's job
        "n": Value("-.5"),
        "o": Value("1.25"),
        "p": Value("é"),
    }
    assert len(parse_dot("digraph a {} graph b {}")) == 2
    assert parse_dot("  \n") == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("hello", "expected 'graph' or 'digraph'"),
        ("digraph {", "expected '}', found end of text"),
        ("digraph { a -> }", "expected an ID"),
        ('digraph { a [x="open] }', "unexpected character '\"'"),
        ("digraph { a [x=<b] }", "unterminated HTML string"),
        ("digraph { node; }", "expected '\\['"),
        ("digraph { a [x] }", "expected '='"),
        ('digraph { a [x="a" + b] }', "a quoted string after"),
        ("digraph { a }\n  x", "line 2, column 3"),
        ("digraph {" + "{" * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1) + "}", "nested subgraphs"),
    ],
)
def test_syntax_errors_name_what_was_expected_and_where(text, message):
    with pytest.raises(DotSyntaxError, match=message) as info:
        parse_dot(text)
    assert "\n" not in str(info.value)


def test_large_documents_parse_in_linear_time():
    lines = [f'  n{i} [op="conv", role=hidden, stage=0, label="{i}"];' for i in range(20_000)]
    lines += [f"  n{i} -> n{i + 1};" for i in range(19_999)]
    text = "digraph {\n" + "\n".join(lines) + "\n}\n"
    start = time.perf_counter()
    (graph,) = parse_dot(text)
    assert len(graph.body.statements) == 39_999
    assert time.perf_counter() - start < 20  # ~1.5 MB; pydot needs minutes for this


# ------------------------------------------------------------------ differential oracle: pydot
def random_document(rng: random.Random) -> str:
    names = ["a", "b", "n0", "n12", '"q x"', "_z9", "7", '"e\\"q"']
    values = ["1", "-2.5", "box", '"two words"', "<<i>h</i>>", '"a" + "b"', '"x\\\\y"']

    def attrs() -> str:
        if rng.random() < 0.4:
            return ""
        items = [f"{rng.choice('xyzw')}={rng.choice(values)}" for _ in range(rng.randint(0, 3))]
        # graphviz also separates with ";" (tested above); pydot's grammar does not.
        return " [" + rng.choice([", ", " "]).join(items) + "]"

    def statements(depth: int) -> list[str]:
        out = []
        for _ in range(rng.randint(0, 5)):
            roll = rng.random()
            if roll < 0.35:
                out.append(rng.choice(names) + attrs())
            elif roll < 0.7:
                chain = [rng.choice(names) for _ in range(rng.randint(2, 4))]
                out.append(" -> ".join(chain) + attrs())
            elif roll < 0.8:
                out.append(rng.choice(["node", "edge", "graph"]) + (attrs() or " [k=1]"))
            elif roll < 0.9:
                out.append(f"{rng.choice('xyz')} = {rng.choice(values)}")
            elif depth < 3:
                out.append(f"subgraph s{depth} {{ " + "; ".join(statements(depth + 1)) + " }")
        return out

    return "digraph G {\n  " + ";\n  ".join(statements(0)) + "\n}\n"


def flatten(block: Block, out: dict[str, list]) -> None:
    for statement in block.statements:
        if isinstance(statement, Block):
            flatten(statement, out)
        elif isinstance(statement, NodeStmt):
            out["nodes"].append((statement.name, sorted({k for k, _ in statement.attrs})))
        elif isinstance(statement, EdgeStmt):
            names = [end[0] for end in statement.endpoints if not isinstance(end, Block)]
            out["edges"] += list(itertools.pairwise(names))


def pydot_view(graph, out: dict[str, list]) -> None:
    for node in graph.get_nodes():
        if node.get_name() not in ("node", "edge", "graph"):
            out["nodes"].append((node.get_name(), sorted(node.get_attributes())))
    for edge in graph.get_edges():
        out["edges"].append((edge.get_source(), edge.get_destination()))
    for sub in graph.get_subgraphs():
        pydot_view(sub, out)


def test_parse_trees_agree_with_pydot_on_random_documents():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dot_parser = pytest.importorskip("pydot.dot_parser")
    rng = random.Random(7)
    for _ in range(150):
        text = random_document(rng)
        ours: dict[str, list] = {"nodes": [], "edges": []}
        flatten(only_body(text), ours)
        (theirs_graph,) = dot_parser.GraphParser.parser.parse_string(text, parse_all=True)
        theirs: dict[str, list] = {"nodes": [], "edges": []}
        pydot_view(theirs_graph, theirs)
        # pydot keeps the quotes of quoted ids and one value per repeated key; ours removes the
        # quotes (escapes kept in both) and keeps every key.
        ours_quoted = {
            "nodes": sorted((_quoted(n), a) for n, a in ours["nodes"]),
            "edges": sorted((_quoted(s), _quoted(d)) for s, d in ours["edges"]),
        }
        assert ours_quoted == {k: sorted(v) for k, v in theirs.items()}, text


def _quoted(name: str) -> str:
    plain = (name.replace("_", "a").isalnum() and not name[0].isdigit()) or name.isdigit()
    return name if plain else f'"{name}"'
