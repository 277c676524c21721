"""A parser for the DOT language (graphviz's grammar, https://graphviz.org/doc/info/lang.html).

`parse_dot(text)` returns the syntax tree of every graph in `text`, or raises DotSyntaxError
naming the line and column. It knows the whole language: `strict`, graph/digraph, node, edge and
attribute statements, `ID = ID`, subgraphs (named or anonymous) as edge endpoints, edge chains,
ports, quoted strings (escapes, line continuations, `+` concatenation), HTML strings, numerals and
the three comment forms. It interprets nothing: that is the reader's job (`dot_format`).

Linear time (one regex scan plus a recursive descent); nesting deeper than MAX_DEPTH is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from graphnas.errors import GraphnasError

MAX_DEPTH = 100
ValueKind = Literal["id", "quoted", "html"]

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n\f\v\ufeff]+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<id>[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)
  | (?P<number>-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))
  | (?P<edgeop>->|--)
  | (?P<punct>[{}\[\];,:=+])
  | (?P<html><)
    """,
    re.VERBOSE | re.DOTALL,
)
KEYWORDS = frozenset({"strict", "graph", "digraph", "node", "edge", "subgraph"})


class DotSyntaxError(GraphnasError):
    """Text that is not DOT; the message names the line and column."""


@dataclass(frozen=True)
class Value:
    """An attribute value or id: its text (quotes removed, concatenations joined, escapes kept)
    and how it was written."""

    text: str
    kind: ValueKind = "id"


@dataclass
class NodeStmt:
    name: str
    port: str | None
    attrs: list[tuple[str, Value]]


@dataclass
class EdgeStmt:
    """A chain `a -> b -> c [attrs]`: each endpoint a (name, port) or a subgraph."""

    endpoints: list[tuple[str, str | None] | Block]
    attrs: list[tuple[str, Value]]


@dataclass
class AttrStmt:
    """`graph|node|edge [attrs]`, or `key = value` (target "graph")."""

    target: Literal["graph", "node", "edge"]
    attrs: list[tuple[str, Value]]


@dataclass
class Block:
    """A graph or subgraph body: its statements in order."""

    name: str | None
    statements: list[Statement] = field(default_factory=list)


Statement = NodeStmt | EdgeStmt | AttrStmt | Block


@dataclass
class DotGraph:
    strict: bool
    directed: bool
    body: Block


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def parse_dot(text: str) -> list[DotGraph]:
    """Every graph in `text` (a DOT file may hold several), as syntax trees."""
    parser = _Parser(text)
    graphs = []
    while not parser.at_end():
        graphs.append(parser.graph())
    return graphs


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    # ------------------------------------------------------------------ token helpers
    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def peek(self, offset: int = 0) -> _Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def error(self, expected: str) -> DotSyntaxError:
        token = self.peek()
        pos = token.pos if token else len(self.text)
        found = repr(token.text[:20]) if token else "end of text"
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return DotSyntaxError(f"expected {expected}, found {found} (line {line}, column {column})")

    def next_is(self, kind: str, text: str | None = None, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == kind and (text is None or token.text == text)

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token.kind == "id" and token.text.lower() in words:
            self.i += 1
            return token.text.lower()
        return None

    def punct(self, char: str) -> bool:
        token = self.peek()
        if token and token.kind in ("punct", "edgeop") and token.text == char:
            self.i += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.punct(char):
            raise self.error(repr(char))

    def is_id(self, offset: int = 0) -> bool:
        token = self.peek(offset)
        if token is None:
            return False
        if token.kind == "id":
            return token.text.lower() not in KEYWORDS
        return token.kind in ("quoted", "number", "html")

    def ident(self) -> Value:
        if not self.is_id():
            raise self.error("an ID")
        token = self.tokens[self.i]
        self.i += 1
        if token.kind == "html":
            return Value(token.text[1:-1], "html")
        if token.kind != "quoted":
            return Value(token.text)
        parts = [token.text[1:-1]]
        while self.punct("+"):
            nxt = self.peek()
            if nxt is None or nxt.kind != "quoted":
                raise self.error("a quoted string after '+'")
            parts.append(nxt.text[1:-1])
            self.i += 1
        return Value("".join(parts), "quoted")

    # ------------------------------------------------------------------ grammar
    def graph(self) -> DotGraph:
        strict = self.keyword("strict") is not None
        kind = self.keyword("graph", "digraph")
        if kind is None:
            raise self.error("'graph' or 'digraph'")
        name = self.ident().text if self.is_id() else None
        body = self.block(name)
        return DotGraph(strict, kind == "digraph", body)

    def block(self, name: str | None) -> Block:
        self.expect("{")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"at most {MAX_DEPTH} nested subgraphs")
        block = Block(name)
        while not self.punct("}"):
            if self.at_end():
                raise self.error("'}'")
            block.statements.append(self.statement())
            self.punct(";")
        self.depth -= 1
        return block

    def statement(self) -> Statement:
        target = self.keyword("graph", "node", "edge")
        if target is not None:
            return AttrStmt(target, self.attr_lists(required=True))  # type: ignore[arg-type]
        if self.is_id() and self.next_is("punct", "=", offset=1):
            key = self.ident().text
            self.expect("=")
            return AttrStmt("graph", [(key, self.ident())])
        first = self.endpoint()
        if self.next_is("edgeop"):
            endpoints = [first]
            while self.next_is("edgeop"):
                self.i += 1
                endpoints.append(self.endpoint())
            return EdgeStmt(endpoints, self.attr_lists())
        if isinstance(first, Block):
            return first
        return NodeStmt(first[0], first[1], self.attr_lists())

    def endpoint(self) -> tuple[str, str | None] | Block:
        if self.keyword("subgraph"):
            return self.block(self.ident().text if self.is_id() else None)
        if self.next_is("punct", "{"):
            return self.block(None)
        name = self.ident().text
        port = None
        if self.punct(":"):
            port = self.ident().text
            if self.punct(":"):
                port += ":" + self.ident().text
        return (name, port)

    def attr_lists(self, required: bool = False) -> list[tuple[str, Value]]:
        attrs: list[tuple[str, Value]] = []
        if required and not self.next_is("punct", "["):
            raise self.error("'['")
        while self.punct("["):
            while not self.punct("]"):
                key = self.ident().text
                self.expect("=")
                attrs.append((key, self.ident()))
                if not self.punct(","):
                    self.punct(";")
        return attrs


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    at_line_start = True
    while pos < end:
        if at_line_start and text.startswith("#", pos):  # C preprocessor output line
            newline = text.find("\n", pos)
            pos = end if newline < 0 else newline
            continue
        match = _TOKEN.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            raise DotSyntaxError(
                f"unexpected character {text[pos]!r} (line {line}, column {column})"
            )
        kind = match.lastgroup or ""
        if kind == "html":
            stop = _html_end(text, pos)
            tokens.append(_Token("html", text[pos:stop], pos))
            pos = stop
            at_line_start = False
            continue
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), pos))
        chunk = match.group()
        at_line_start = chunk.endswith("\n") if kind == "space" else False
        pos = match.end()
    return tokens


def _html_end(text: str, start: int) -> int:
    """The index after the '>' closing the HTML string opened at `start` (brackets nest)."""
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "<":
            depth += 1
        elif text[j] == ">":
            depth -= 1
            if depth == 0:
                return j + 1
    line = text.count("\n", 0, start) + 1
    raise DotSyntaxError(f"unterminated HTML string (line {line})")
