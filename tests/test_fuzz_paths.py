"""Paths from input never escape the folder they are written into (graphnas.paths, run dirs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzzing import (
    FUZZ_COUNTS,
    HOSTILE_STRINGS,
    LOADED_COUNTS,
    assert_one_line_naming,
    fuzz_report,  # noqa: F401  (session fixture: writes the per-loader counts)
    fuzz_settings,
    hostile_text,
)
from hypothesis import given
from hypothesis import strategies as st

from graphnas.paths import MAX_COMPONENT, UnsafePathError, safe_filename, safe_join
from graphnas.search import RunDir

TRAVERSALS = (
    "..",
    "../x",
    "../../../../etc/passwd",
    "a/../../x",
    "a/./../../x",
    "/etc/passwd",
    "//server/share",
    "C:\\Windows",
    "C:x",
    "\\\\server\\share\\x",
    "a\\..\\..\\x",
    "nul\x00byte",
    "",
)

path_parts = st.one_of(
    st.sampled_from(TRAVERSALS),
    hostile_text(),
    st.lists(st.sampled_from(("a", "..", ".", "", "b.svg", "~", "%2e%2e")), max_size=5).map(
        "/".join
    ),
)


def inside(path: Path, root: Path) -> bool:
    resolved, base = path.resolve(), root.resolve()
    return resolved == base or base in resolved.parents


@pytest.mark.parametrize("part", TRAVERSALS)
def test_traversal_attempts_are_refused(tmp_path: Path, part: str) -> None:
    with pytest.raises(UnsafePathError) as caught:
        safe_join(tmp_path / "run", part)
    assert_one_line_naming(caught.value, repr(part)[:40])


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    run, outside = tmp_path / "run", tmp_path / "outside"
    run.mkdir()
    outside.mkdir()
    (run / "graphs").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="outside"):
        safe_join(run, "graphs/best.svg")
    assert safe_join(run, "plots/curve.svg") == run / "plots" / "curve.svg"


def test_ordinary_names_join_unchanged(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "graphs", "0001_best.svg") == tmp_path / "graphs" / "0001_best.svg"
    assert safe_join(tmp_path, "graphs/a.b.svg") == tmp_path / "graphs" / "a.b.svg"
    assert safe_filename("query 12: best/arch", ".svg") == "query_12_best_arch.svg"
    assert safe_filename("..", ".svg") == "unnamed.svg"


@fuzz_settings(max_examples=300)
@given(part=path_parts)
def test_fuzz_safe_join(part: str, tmp_path: Path) -> None:
    FUZZ_COUNTS["safe_join (paths from input)"] += 1
    root = tmp_path / "run"
    try:
        joined = safe_join(root, part)
    except UnsafePathError as err:
        assert_one_line_naming(err, "refusing to write")
        return
    LOADED_COUNTS["safe_join (paths from input)"] += 1
    assert inside(joined, root)


@fuzz_settings(max_examples=300)
@given(label=st.one_of(path_parts, st.text(max_size=400)), suffix=st.sampled_from(("", ".svg")))
def test_fuzz_safe_filename(label: str, suffix: str, tmp_path: Path) -> None:
    FUZZ_COUNTS["safe_filename (labels from input)"] += 1
    name = safe_filename(label, suffix)
    LOADED_COUNTS["safe_filename (labels from input)"] += 1
    assert name and len(name) <= MAX_COMPONENT + len(suffix)
    assert not set(name) & {"/", "\\", "\x00", ":"}
    assert not name.startswith(".") and name not in (".", "..")
    target = safe_join(tmp_path, name)
    assert target.parent == tmp_path
    target.write_text("x")  # a real file name on this file system
    assert target.read_text() == "x"


@pytest.mark.parametrize("name", [*TRAVERSALS[:7], *HOSTILE_STRINGS[:12]])
def test_run_directory_names_stay_under_the_runs_folder(tmp_path: Path, name: str) -> None:
    root = tmp_path / "runs"
    path = RunDir.default_path(name, 0, root=root)
    assert path.parent == root and inside(path, root)
    run = RunDir.create(path)
    assert inside(run.ledger, root) and os.path.isdir(run.path)
