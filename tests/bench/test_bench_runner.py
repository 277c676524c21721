"""benchmarks/: the runner (records stamped, skips keep the last record, failures reported) and the
renderer (only the marked sections change), on a tiny fake benchmark; the suite's registration."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.render import load_records, render, section_body
from benchmarks.runner import BenchError, run_bench, run_suite, select
from benchmarks.suite import SUITE, Bench

REPO = Path(__file__).resolve().parents[2]

FAKE = """
import json, sys
args = sys.argv[1:]
path = args[args.index("--json") + 1]
mode = args[0]
if mode == "fail":
    sys.exit(3)
record = {"name": "fake", "command": "python benchmarks/fake.py " + mode}
if mode == "skip":
    record["skipped"] = "no data here"
elif mode == "wrongname":
    record.update(name="other", table_md="", rows=[])
elif mode != "norecord":
    record.update(table_md="| a | b |\\n|---|---|\\n| " + mode + " | 1 |", rows=[{"a": mode}])
if mode != "norecord":
    open(path, "w").write(json.dumps(record))
"""


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "fake.py").write_text(FAKE)
    return tmp_path


def run(root: Path, mode: str, arg: str):
    bench = Bench("fake", "fake", (arg,), (arg,))
    return run_bench(bench, mode, root=root, results=root / "results", python=sys.executable)


def test_a_record_is_stamped_and_kept_per_mode(fake_root: Path) -> None:
    outcome = run(fake_root, "full", "ok")
    assert outcome.status == "ok"
    record = json.loads((fake_root / "results" / "fake.json").read_text())
    assert record["rows"] == [{"a": "ok"}] and record["mode"] == "full"
    assert record["commit"] == "unknown"  # not a git checkout
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", record["date"])
    assert run(fake_root, "quick", "quick").status == "ok"
    assert (
        json.loads((fake_root / "results" / "quick" / "fake.json").read_text())["mode"] == "quick"
    )
    assert json.loads((fake_root / "results" / "fake.json").read_text())["rows"] == [{"a": "ok"}]


def test_a_skip_keeps_the_previous_record_and_failures_are_reported(fake_root: Path) -> None:
    run(fake_root, "full", "ok")
    before = (fake_root / "results" / "fake.json").read_text()
    skipped = run(fake_root, "full", "skip")
    assert (skipped.status, skipped.detail) == ("skipped", "no data here")
    for arg, detail in [
        ("fail", "exit status 3"),
        ("norecord", "wrote no record"),
        ("wrongname", "record names 'other'"),
    ]:
        outcome = run(fake_root, "full", arg)
        assert outcome.status == "failed" and detail in outcome.detail
    assert (fake_root / "results" / "fake.json").read_text() == before


def test_the_suite_runs_in_order_and_refuses_unknown_names(fake_root: Path) -> None:
    suite = [Bench("fake", "fake", ("ok",), ("fail",))]
    options = {"root": fake_root, "results": fake_root / "results"}
    assert [o.status for o in run_suite(suite, "quick", **options)] == ["ok"]
    assert [o.status for o in run_suite(suite, "full", ["fake"], **options)] == ["failed"]
    with pytest.raises(BenchError, match=r"unknown benchmark.s. nope"):
        select(suite, ["nope"])
    with pytest.raises(BenchError, match="unknown mode"):
        run_suite(suite, "slow", **options)


RECORD = {
    "name": "fake",
    "command": "python benchmarks/fake.py --n 3",
    "table_md": "| x |\n|---|\n| 1 |\n",
    "rows": [{"x": 1}],
    "commit": "0123456789abcdef",
    "dirty": False,
    "date": "2026-12-02 17:00 UTC",
    "mode": "full",
    "seconds": 4.2,
}
DOC = """# Benchmarks

Prose before, kept.

<!-- bench:fake -->
old table
<!-- /bench:fake -->

More prose.

<!-- bench:absent -->
kept as written
<!-- /bench:absent -->
"""


def test_render_replaces_only_the_marked_sections() -> None:
    rendered = render(DOC, {"fake": RECORD})
    assert rendered.rewritten == ["fake"] and rendered.missing == ["absent"]
    assert "old table" not in rendered.text
    assert "Prose before, kept." in rendered.text and "More prose." in rendered.text
    assert "kept as written" in rendered.text
    assert section_body(RECORD) in rendered.text
    assert (
        "commit `0123456789ab`" in rendered.text
        and "python benchmarks/fake.py --n 3" in rendered.text
    )
    assert render(rendered.text, {"fake": RECORD}).text == rendered.text  # idempotent
    quick = section_body({**RECORD, "mode": "quick", "dirty": True})
    assert "quick mode: not the quoted configuration" in quick and "uncommitted" in quick


def test_render_refuses_ambiguous_markers() -> None:
    with pytest.raises(BenchError, match="more than once"):
        render(DOC + "<!-- bench:fake -->\n<!-- /bench:fake -->\n", {})
    with pytest.raises(BenchError, match="no closing"):
        render("<!-- bench:open -->\ntext\n", {})


def test_render_command_writes_the_rendered_file(tmp_path: Path, monkeypatch) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "fake.json").write_text(json.dumps(RECORD))
    assert load_records(results)["fake"]["rows"] == [{"x": 1}]
    source, out = tmp_path / "B.md", tmp_path / "out.md"
    source.write_text(DOC)
    monkeypatch.setattr("benchmarks.__main__.results_dir", lambda mode: results)
    assert main(["render", "--source", str(source), "--out", str(out)]) == 0
    assert source.read_text() == DOC and "old table" not in out.read_text()
    assert main(["render", "--source", str(tmp_path / "none.md")]) == 2


def test_every_suite_entry_has_a_script_with_a_json_option_and_a_marker() -> None:
    names = [bench.name for bench in SUITE]
    assert len(names) == len(set(names))
    markers = set(re.findall(r"<!-- bench:([\w.-]+) -->", (REPO / "BENCHMARKS.md").read_text()))
    for bench in SUITE:
        script = REPO / "benchmarks" / f"{bench.script}.py"
        assert script.is_file(), bench.name
        assert "--json" in script.read_text() or "add_json_option" in script.read_text()
        assert bench.name in markers, f"BENCHMARKS.md has no <!-- bench:{bench.name} --> section"
    assert markers <= set(names), f"markers without a suite entry: {sorted(markers - set(names))}"
