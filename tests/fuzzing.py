"""Shared pieces of the fuzz tests (tests/test_fuzz_*.py).

- `check_loader`: the property every loader must have: it loads, or it raises a GraphnasError whose
  message is one line naming the input; any other exception fails the test with its traceback.
- Hypothesis strategies: JSON-like values with NaN/Infinity/huge numbers/unicode, hostile strings
  (path traversal, NUL, YAML tags, interpolations), deep nesting, random bytes, and mutations of
  valid documents (text edits and structural edits of parsed trees).
- `FUZZ_COUNTS`: inputs tried per loader in this pytest run. A session fixture (`fuzz_report`,
  autouse in every fuzz module) writes them to fuzz_counts.json and prints a summary line.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from graphnas.errors import GraphnasError

T = TypeVar("T")

FUZZ_COUNTS: Counter[str] = Counter()
LOADED_COUNTS: Counter[str] = Counter()
# Where the counts go: $GRAPHNAS_FUZZ_REPORT, else fuzz_counts.json in pytest's base temp folder.
REPORT_ENV = "GRAPHNAS_FUZZ_REPORT"


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic hypothesis settings (fixed derandomized seed, no example database)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


# ============================================================================ the property
def check_loader(loader: str, source: str | Sequence[str], load: Callable[[], T]) -> T | None:
    """Run `load()`; return its value, or None if it raised a one-line GraphnasError naming
    `source` (or one of several sources). Counts the input under `loader`. Any other exception
    propagates (a test failure); so does a Python warning, which the CLI would print as extra
    stderr lines."""
    FUZZ_COUNTS[loader] += 1
    with warnings.catch_warnings(record=True) as caught:
        show_warnings_as_python_does()
        try:
            value = load()
        except GraphnasError as err:
            assert_one_line_naming(err, source)
            value = None
    assert not caught, f"warnings on stderr: {[str(w.message) for w in caught]}"
    if value is not None:
        LOADED_COUNTS[loader] += 1
    return value


def show_warnings_as_python_does() -> None:
    """Inside catch_warnings: record every warning a plain `python` run would print (its default
    filters hide deprecation, import and resource warnings raised outside __main__)."""
    warnings.simplefilter("always")
    for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", hidden)


def assert_one_line_naming(err: BaseException, source: str | Sequence[str]) -> None:
    message = str(err)
    sources = [source] if isinstance(source, str) else list(source)
    # A source holding a newline (say) appears escaped, as GraphnasError writes it.
    sources += [GraphnasError(s).args[0] for s in sources]
    assert message.strip(), f"{type(err).__name__} with an empty message"
    assert len(message.splitlines()) == 1, f"multi-line message: {message!r}"
    assert any(s in message for s in sources), f"message names none of {sources}: {message!r}"


def run_cli(args: Sequence[str]) -> tuple[int, str, str]:
    """Run `graphnas ARGS` in this process: (exit status, stdout, stderr). Python warnings, which
    pytest would otherwise capture, are added to stderr as the real command would print them."""
    from graphnas.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        show_warnings_as_python_does()
        status = main(list(args))
    shown = "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught
    )
    return status, out.getvalue(), err.getvalue() + shown


def assert_cli_user_error(status: int, stderr: str, source: str) -> None:
    """The CLI contract for bad input: status 2, exactly one stderr line naming `source`."""
    lines = stderr.splitlines()
    assert status == 2, f"exit status {status}, stderr {stderr!r}"
    assert len(lines) == 1, f"expected one stderr line, got {stderr!r}"
    assert "Traceback" not in stderr
    assert source in lines[0], f"stderr does not name {source!r}: {stderr!r}"


# ============================================================================ strategies
HOSTILE_STRINGS = (
    "",
    " ",
    "../../../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\system32",
    "C:\\x",
    "a/../../b",
    "\x00",
    "nul\x00byte",
    "\u202eevil\u202c",
    "\ud7ff\ue000\U0010ffff",
    "\U0001f4a5" * 3,
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    "9" * 5000,
    "x" * 20_000,
    "${oc.env:HOME}",
    "${oops",
    "!!python/object/apply:os.system ['echo pwned']",
    "__import__('os').system('echo pwned')",
    "{{7*7}}",
    "%s%s%s%n",
    "\n\n\r\n",
    "input",
    "output",
    "hidden",
    "none",
    "skip_connect",
    "conv3x3-bn-relu",
    "conv_3x3",
)

HUGE_INTS = (2**31, 2**63, -(2**63) - 1, 10**30, -(10**30), 10**400)
SPECIAL_FLOATS = (math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324)


def hostile_text() -> st.SearchStrategy[str]:
    """Short unicode text, or one of HOSTILE_STRINGS."""
    return st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=20))


def scalars() -> st.SearchStrategy[Any]:
    """JSON/YAML scalars with the awkward cases over-represented."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-10, max_value=40),
        st.integers(),
        st.sampled_from(HUGE_INTS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(SPECIAL_FLOATS),
        hostile_text(),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Nested lists/dicts of scalars (dict keys are strings, as in JSON)."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(hostile_text(), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def deep_nesting_text(draw: st.DrawFn) -> str:
    """'[[[...]]]' or '{"a":{"a":...}}' nested up to 200,000 levels (possibly unbalanced)."""
    depth = draw(st.sampled_from((50, 1000, 5000, 200_000)))
    kind = draw(st.sampled_from(("list", "dict", "yaml")))
    balanced = draw(st.booleans())
    if kind == "list":
        return "[" * depth + ("]" * depth if balanced else "")
    if kind == "dict":
        return '{"a":' * depth + "1" + ("}" * depth if balanced else "")
    return "a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(min(depth, 2000)))


@st.composite
def mutated_text(draw: st.DrawFn, originals: Sequence[str]) -> str:
    """One of `originals` after 1-4 random edits: truncation, deletion, insertion (random or
    hostile text), replacement, duplication of a slice, or nesting in brackets."""
    text = draw(st.sampled_from(originals))
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(
            st.sampled_from(("truncate", "delete", "insert", "replace", "duplicate", "wrap"))
        )
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        if edit == "truncate":
            text = text[:i]
        elif edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "insert":
            text = text[:i] + draw(hostile_text()) + text[i:]
        elif edit == "replace":
            filler = draw(st.text(min_size=1, max_size=3)) if draw(st.booleans()) else "\x00"
            text = text[:i] + filler + text[j:]
        elif edit == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 50)) + text[j:]
        else:
            opener, closer = draw(st.sampled_from((("[", "]"), ("{", "}"), ("<", ">"))))
            k = draw(st.integers(1, 3000))
            text = opener * k + text + closer * k
    return text


@st.composite
def mutated_tree(draw: st.DrawFn, original: Any) -> Any:
    """A copy of a parsed JSON/YAML tree with 1-3 structural edits at random places: a value
    replaced (by a random value, a huge number, NaN, a hostile string, a container), a key deleted
    or added, a list truncated or extended."""
    tree = json.loads(json.dumps(original))
    for _ in range(draw(st.integers(1, 3))):
        tree = _edit_at_random_node(draw, tree)
    return tree


def _edit_at_random_node(draw: st.DrawFn, tree: Any) -> Any:
    paths = list(_paths(tree))
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(json_values())
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    edit = draw(st.sampled_from(("replace", "replace", "delete", "add", "grow")))
    if edit == "replace":
        parent[key] = draw(json_values(max_leaves=6))
    elif edit == "delete":
        del parent[key]
    elif edit == "add" and isinstance(parent, dict):
        parent[draw(hostile_text())] = draw(json_values(max_leaves=4))
    elif isinstance(parent, list):
        parent.extend([parent[key]] * draw(st.integers(1, 20)))
    else:
        parent[key] = [parent[key]]
    return tree


def _paths(tree: Any, prefix: tuple = ()) -> Any:
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _paths(value, (*prefix, index))


def random_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.sampled_from((b"", b"\x00" * 64, b"\xff\xfe\x00\x00", b"\x80\x04K\x01.", b"PK\x03\x04")),
    )


@st.composite
def mutated_bytes(draw: st.DrawFn, originals: Sequence[bytes]) -> bytes:
    """One of `originals` truncated, with bytes flipped, or with a slice deleted/duplicated."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(("truncate", "flip", "flip", "delete", "duplicate")))
        n = len(data)
        i = draw(st.integers(0, max(n - 1, 0)))
        if edit == "truncate":
            data = data[:i]
        elif edit == "flip" and n:
            data[i] = draw(st.integers(0, 255))
        elif edit == "delete":
            data = data[:i] + data[i + draw(st.integers(1, 64)) :]
        else:
            data = data[:i] + data[i : i + 64] * draw(st.integers(1, 4)) + data[i:]
    return bytes(data)


# ============================================================================ the report
class _FuzzSummary:
    """Terminal-summary plugin: writes FUZZ_COUNTS as JSON and prints one line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not FUZZ_COUNTS:
            return
        report = {
            "inputs_per_loader": dict(sorted(FUZZ_COUNTS.items())),
            "loaded_per_loader": {k: LOADED_COUNTS.get(k, 0) for k in sorted(FUZZ_COUNTS)},
            "total_inputs": sum(FUZZ_COUNTS.values()),
            "loaders": len(FUZZ_COUNTS),
            "min_inputs_per_loader": min(FUZZ_COUNTS.values()),
            "failed_fuzz_tests": sum(
                "test_fuzz_" in report.nodeid for report in terminalreporter.stats.get("failed", [])
            ),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(report, indent=2) + "\n")
        terminalreporter.write_line(
            f"fuzz: {report['total_inputs']} inputs over {report['loaders']} loaders "
            f"(min {report['min_inputs_per_loader']} per loader), "
            f"{report['failed_fuzz_tests']} failed fuzz tests; counts in {self.path}"
        )


@pytest.fixture(scope="session", autouse=True)
def fuzz_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Registers the summary plugin once per pytest session (import this into fuzz modules)."""
    manager = request.config.pluginmanager
    if not manager.has_plugin("graphnas-fuzz-summary"):
        default = tmp_path_factory.getbasetemp() / "fuzz_counts.json"
        path = Path(os.environ.get(REPORT_ENV, default))
        manager.register(_FuzzSummary(path), "graphnas-fuzz-summary")
