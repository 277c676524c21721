"""benchmarks/stale.py: a section's dependencies (import closure, experiments, whole package for
CLI subprocesses) and its verdict against HEAD, on the real scripts and on a scratch git repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.runner import run_bench
from benchmarks.stale import dependencies, stamps, verdicts
from benchmarks.suite import Bench

REPO = Path(__file__).resolve().parents[2]


def test_dependencies_of_the_real_scripts_follow_their_imports() -> None:
    compiler = dependencies(REPO, "bench_compiler")
    assert "graphnas/compiler/compile.py" in compiler and "benchmarks/bench_compiler.py" in compiler
    assert "graphnas/strategies/generator_strategy.py" not in compiler
    assert not any(p.startswith("experiments") for p in compiler)
    search = dependencies(REPO, "nb201_search")
    for path in ("graphnas/strategies/generator_strategy.py", "experiments/nb201.yaml"):
        assert path in search
    assert "benchmarks/nb201_runs.py" in search  # a helper imported by bare name
    # The export package imports its writers by computed name: all of them count.
    exports = dependencies(REPO, "generator_spaces")
    assert {"graphnas/export/__init__.py", "graphnas/export/mpl_render.py"} <= set(exports)
    # A script that runs the CLI in a subprocess depends on the whole package.
    assert {"graphnas", "experiments"} <= set(dependencies(REPO, "redteam"))


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A git repo: a benchmark importing graphnas.used lazily; graphnas.unused beside it; a
    package whose submodules are imported by computed name."""
    files = {
        "benchmarks/b.py": (
            "def main():\n    from graphnas.used import f\n    from graphnas import plug\n"
        ),
        "graphnas/__init__.py": "",
        "graphnas/used.py": "def f():\n    return 1\n",
        "graphnas/unused.py": "X = 1\n",
        "graphnas/plug/__init__.py": (
            "import importlib\n\ndef get(n):\n"
            '    return importlib.import_module(f"graphnas.plug.{n}")\n'
        ),
        "graphnas/plug/one.py": "Y = 1\n",
        "experiments/other.yaml": "name: other\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git(tmp_path, "init", "-q")
    return tmp_path


def section(name: str, commit: str, dirty: bool = False) -> str:
    mark = " (with uncommitted changes)" if dirty else ""
    body = f"Measured at commit `{commit[:12]}`{mark} on a day.\n"
    return f"<!-- bench:{name} -->\n{body}<!-- /bench:{name} -->\n"


def test_a_section_goes_stale_only_when_a_dependency_changes(scratch: Path) -> None:
    stamp = commit_all(scratch, "start")
    suite = [Bench("b", "b", (), ())]
    markdown = section("b", stamp)
    assert stamps(markdown) == {"b": (stamp[:12], False)}
    assert not verdicts(scratch, markdown, suite)[0].stale
    for untouched in ("graphnas/unused.py", "experiments/other.yaml"):
        (scratch / untouched).write_text("changed = True\n")
        commit_all(scratch, f"touch {untouched}")
        assert not verdicts(scratch, markdown, suite)[0].stale, untouched
    (scratch / "graphnas/plug/one.py").write_text("Y = 2\n")
    commit_all(scratch, "touch a computed import")
    assert verdicts(scratch, markdown, suite)[0].changed == ["graphnas/plug/one.py"]
    (scratch / "graphnas/used.py").write_text("def f():\n    return 2\n")
    commit_all(scratch, "touch a lazy import")
    assert verdicts(scratch, markdown, suite)[0].changed == [
        "graphnas/plug/one.py",
        "graphnas/used.py",
    ]
    current = verdicts(scratch, section("b", git(scratch, "rev-parse", "HEAD")), suite)[0]
    assert not current.stale
    assert verdicts(scratch, section("b", stamp, dirty=True), suite)[0].stale


def test_the_stale_command_exits_1_on_a_stale_section_and_0_when_current(tmp_path, capsys) -> None:
    head = git(REPO, "rev-parse", "HEAD")
    first = git(REPO, "rev-list", "--max-parents=0", "HEAD").splitlines()[0]
    current, old = tmp_path / "current.md", tmp_path / "old.md"
    current.write_text(section("compiler", head))
    old.write_text(section("compiler", first))
    assert main(["stale", "--source", str(current)]) == 0
    assert "compiler (measured at" in capsys.readouterr().out
    assert main(["stale", "--source", str(old)]) == 1
    assert "stale: " in capsys.readouterr().out
    (tmp_path / "unknown.md").write_text(section("no_such_bench", head))
    assert main(["stale", "--source", str(tmp_path / "unknown.md")]) == 2


def test_a_record_is_stamped_with_the_commit_its_run_started_at(scratch: Path) -> None:
    (scratch / "benchmarks" / "c.py").write_text(
        "import json, subprocess, sys\n"
        "subprocess.run(['git', 'commit', '-q', '--allow-empty', '-m', 'during',"
        " '--author', 't <t@t>'], check=True, env={'GIT_COMMITTER_NAME': 't',"
        " 'GIT_COMMITTER_EMAIL': 't@t', 'PATH': '/usr/bin:/bin'})\n"
        "record = {'name': 'c', 'command': 'c', 'table_md': '', 'rows': []}\n"
        "open(sys.argv[sys.argv.index('--json') + 1], 'w').write(json.dumps(record))\n"
    )
    start = commit_all(scratch, "start")
    bench = Bench("c", "c", (), ())
    outcome = run_bench(bench, "full", root=scratch, results=scratch / "r", python=sys.executable)
    assert outcome.status == "ok", outcome.detail
    assert git(scratch, "rev-parse", "HEAD") != start  # the run committed ...
    record = (scratch / "r" / "c.json").read_text()
    assert f'"commit": "{start}"' in record and '"dirty": false' in record  # ... after it began


def test_a_record_is_dirty_only_when_its_own_dependencies_were_edited(scratch: Path) -> None:
    (scratch / "benchmarks" / "d.py").write_text(
        "import json, sys\n\ndef never_called():\n    from graphnas.used import f\n\n"
        "record = {'name': 'd', 'command': 'd', 'table_md': '', 'rows': []}\n"
        "open(sys.argv[sys.argv.index('--json') + 1], 'w').write(json.dumps(record))\n"
    )
    (scratch / "NOTES.md").write_text("notes\n")
    commit_all(scratch, "start")
    bench = Bench("d", "d", (), ())

    def dirty() -> bool:
        run_bench(bench, "full", root=scratch, results=scratch / "r", python=sys.executable)
        return '"dirty": true' in (scratch / "r" / "d.json").read_text()

    (scratch / "NOTES.md").write_text("edited, not a dependency\n")
    (scratch / "graphnas/unused.py").write_text("X = 2\n")
    assert not dirty()
    (scratch / "graphnas/used.py").write_text("def f():\n    return 3\n")
    assert dirty()
