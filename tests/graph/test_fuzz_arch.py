"""Fuzzing the architecture loaders: JSON (text, bytes, dict), GraphML, DOT and the space codecs.

Property: every input either loads into a valid ArchGraph (which then round-trips and hashes) or
raises a GraphnasError whose message is one line naming the input; never another exception.
"""

from __future__ import annotations

import json
import re
from functools import cache

import numpy as np
from fuzzing import (
    check_loader,
    deep_nesting_text,
    fuzz_report,  # noqa: F401  (session fixture: writes the per-loader counts)
    fuzz_settings,
    hostile_text,
    json_values,
    mutated_text,
    mutated_tree,
    random_bytes,
)
from hypothesis import example, given
from hypothesis import strategies as st

from graphnas.export.formats import arch_bytes
from graphnas.graph import ArchGraph
from graphnas.graph.dot_format import dot_quote
from graphnas.spaces import SearchSpace, load_space

SHIPPED = ("nb201", "nb101", "enas_macro", "complete", "randwire_small")
SOURCE = "fuzzed-arch.json"
DOT_META = re.compile(r'meta="(?:[^"\\]|\\.)*"')


@cache
def spaces() -> dict[str, SearchSpace]:
    return {name: load_space(name) for name in SHIPPED}


@cache
def valid_archs() -> tuple[ArchGraph, ...]:
    archs = []
    for space in spaces().values():
        example = space.example()
        archs += [example, example.prune(), space.mutate(example, np.random.default_rng(1))]
    return tuple(archs)


@cache
def valid_json_docs() -> tuple[str, ...]:
    return tuple(arch.to_json(indent=i) for arch in valid_archs() for i in (None, 1))


def assert_loaded_arch_is_sound(arch: ArchGraph) -> None:
    """What "loads correctly" means: structurally valid, stable under a JSON round trip, hashable,
    and judged by every space without an exception."""
    assert not arch.structural_problems()
    assert ArchGraph.from_json(arch.to_json()) == arch
    assert arch.canonical_hash()
    for space in spaces().values():
        space.problems(arch)


arch_texts = st.one_of(
    mutated_text(valid_json_docs()),
    mutated_text(valid_json_docs()),
    deep_nesting_text(),
    json_values().map(lambda v: json.dumps(v, allow_nan=True)),
    hostile_text(),
)


@fuzz_settings(max_examples=400)
@given(text=arch_texts)
def test_fuzz_arch_from_json(text: str) -> None:
    arch = check_loader("arch JSON", SOURCE, lambda: ArchGraph.from_json(text, source=SOURCE))
    if arch is not None:
        assert_loaded_arch_is_sound(arch)


@fuzz_settings(max_examples=150)
@given(data=st.one_of(random_bytes(), arch_texts.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzz_arch_from_json_bytes(data: bytes) -> None:
    arch = check_loader("arch JSON bytes", SOURCE, lambda: ArchGraph.from_json(data, source=SOURCE))
    if arch is not None:
        assert_loaded_arch_is_sound(arch)


@fuzz_settings(max_examples=200)
@given(
    tree=st.one_of(
        st.sampled_from(valid_archs()).map(ArchGraph.to_dict).flatmap(mutated_tree),
        json_values(),
    )
)
def test_fuzz_arch_from_dict(tree: object) -> None:
    arch = check_loader("arch dict", SOURCE, lambda: ArchGraph.from_dict(tree, source=SOURCE))
    if arch is not None:
        assert_loaded_arch_is_sound(arch)


@cache
def valid_graphml_docs() -> tuple[str, ...]:
    return tuple(arch.to_graphml() for arch in valid_archs()[:9])


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i else "&lol;") * 10 + '">' for i in range(9)
    )
    + ']><graphml><graph edgedefault="directed"><node id="&lol8;"/></graph></graphml>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<graphml><graph edgedefault="directed"><node id="&xxe;"/></graph></graphml>'
)


@fuzz_settings(max_examples=250)
@given(
    text=st.one_of(
        mutated_text(valid_graphml_docs()),
        st.sampled_from((BILLION_LAUGHS, EXTERNAL_ENTITY)),
        deep_nesting_text(),
        hostile_text(),
    )
)
def test_fuzz_arch_from_graphml(text: str) -> None:
    source = "fuzzed.graphml"
    arch = check_loader("GraphML", source, lambda: ArchGraph.from_graphml(text, source=source))
    if arch is not None:
        assert_loaded_arch_is_sound(arch)


@cache
def valid_dot_docs() -> tuple[str, ...]:
    docs = (arch_bytes(arch.replace(meta={"k": [1, 2]}), "dot") for arch in valid_archs())
    return tuple(doc.decode() for doc in docs)


@fuzz_settings(max_examples=200)
@given(
    text=st.one_of(
        mutated_text(valid_dot_docs()),
        mutated_text(valid_dot_docs()),
        st.tuples(json_values(), st.sampled_from(valid_dot_docs())).map(
            lambda pair: DOT_META.sub(lambda _: "meta=" + dot_quote(json.dumps(pair[0])), pair[1])
        ),
        hostile_text(),
    )
)
@example(text='digraph a {\n  graph [meta="null"];\n  n0 [op="", role="input", stage=0];\n}\n')
@example(text='digraph a {\n  graph [meta="' + "[" * 5000 + '"];\n}\n')
@example(text="digraph {" + "{" * 3000 + "}" * 3000 + "}")
def test_fuzz_arch_from_dot(text: str) -> None:
    source = "fuzzed.dot"
    arch = check_loader("DOT", source, lambda: ArchGraph.from_dot(text, source=source))
    if arch is not None:
        assert_loaded_arch_is_sound(arch)


# ---------------------------------------------------------------------------- space codecs
@cache
def encodings(space_name: str) -> tuple[str, ...]:

    space = spaces()[space_name]
    rng = np.random.default_rng(0)
    return tuple(space.encode(space.sample_prior(rng)) for _ in range(8))


def fuzz_codec(space_name: str, loader: str, source: str, text: str) -> None:
    space = spaces()[space_name]
    arch = check_loader(loader, source, lambda: space.decode(text))
    if arch is not None:
        assert space.is_valid(arch)
        assert space.decode(space.encode(arch)) == arch


@fuzz_settings(max_examples=300)
@given(text=st.one_of(mutated_text(encodings("nb201")), hostile_text()))
@example(text="")
@example(text="a\nb")
def test_fuzz_nb201_string_codec(text: str) -> None:
    fuzz_codec("nb201", "NB201 string codec", "NB201", text)


@fuzz_settings(max_examples=200)
@given(
    text=st.one_of(
        mutated_text(encodings("nb101")),
        st.sampled_from(encodings("nb101"))
        .map(json.loads)
        .flatmap(mutated_tree)
        .map(lambda v: json.dumps(v, allow_nan=True)),
        deep_nesting_text(),
        hostile_text(),
    )
)
@example(text='{"matrix": null, "ops": ["input", "output"]}')
@example(text='{"matrix": [1, 2], "ops": {"a": 1}}')
@example(text="[" * 5000)
def test_fuzz_nb101_matrix_codec(text: str) -> None:
    fuzz_codec("nb101", "NB101 matrix codec", "NB101", text)


ODD_TOKENS = (
    "0",
    "1",
    "2",
    "5",
    "6",
    "7",
    "\u00b2",
    "\u0663",
    "-1",
    "+1",
    "1.0",
    "9" * 5000,
    "0x1",
)


@st.composite
def edited_arc(draw: st.DrawFn) -> str:
    """A valid ENAS arc with some tokens replaced by odd ones (count kept, so parsing proceeds)."""
    tokens = draw(st.sampled_from(encodings("enas_macro"))).split()
    for _ in range(draw(st.integers(1, 4))):
        tokens[draw(st.integers(0, len(tokens) - 1))] = draw(st.sampled_from(ODD_TOKENS))
    return " ".join(tokens)


@fuzz_settings(max_examples=300)
@given(
    text=st.one_of(
        mutated_text(encodings("enas_macro")),
        edited_arc(),
        edited_arc(),
        st.lists(st.sampled_from(ODD_TOKENS), max_size=90).map(" ".join),
        hostile_text(),
    )
)
@example(text=" ".join(["0"] * 77 + ["9" * 5000]))
@example(text=" ".join(["0"] * 77 + ["\u00b2"]))
def test_fuzz_enas_arc_codec(text: str) -> None:
    fuzz_codec("enas_macro", "ENAS arc codec", "ENAS", text)


@fuzz_settings(max_examples=150)
@given(text=st.one_of(mutated_text(encodings("complete")), deep_nesting_text()))
def test_fuzz_json_codec_of_node_spaces(text: str) -> None:
    fuzz_codec("complete", "JSON codec (complete space)", "architecture", text)
