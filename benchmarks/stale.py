"""Which BENCHMARKS.md sections no longer describe the code: their stamp vs HEAD, per dependency.

A section's dependencies are its script, the benchmark helpers and `graphnas` modules it imports
(transitively, imports inside functions included: an over-approximation of what can run), every
module of a package whose submodules are imported by computed name (`import_module(f"graphnas.
export.{...}")`), the whole `graphnas` package (and every experiment) when the script or a helper
starts a subprocess or imports `graphnas.cli`, each `experiments/` file whose name appears in one
of those files, and always `graphnas/assets` and `spaces/`. A section is stale when
`git diff STAMP HEAD` touches any of them, or when it was measured on uncommitted changes;
`python -m benchmarks stale` lists each section with its verdict and exits 1 if one is stale.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.runner import BenchError
from benchmarks.suite import Bench

ALWAYS = ("graphnas/assets", "spaces")
_STAMPED = re.compile(
    r"<!-- bench:(?P<name>[\w.-]+) -->\n.*?Measured at commit `(?P<commit>[0-9a-f]+)`"
    r"(?P<dirty> \(with uncommitted changes\))?.*?<!-- /bench:(?P=name) -->",
    re.DOTALL,
)
_WHOLE_PACKAGE = ("subprocess", "graphnas.cli")
_COMPUTED_IMPORT = re.compile(r"import_module\(f\"(graphnas(?:\.\w+)*)\.\{")
_EXPERIMENT = re.compile(r"\b([\w-]+\.yaml)\b")


@dataclass(frozen=True)
class Verdict:
    """One section: its stamp commit, whether it ran on uncommitted changes, and the dependency
    files changed since; stale if either."""

    name: str
    commit: str
    changed: list[str]
    dirty: bool = False

    @property
    def stale(self) -> bool:
        return self.dirty or bool(self.changed)


def _imported_names(root: Path, path: Path) -> set[str]:
    """Dotted names `path` imports anywhere (for `from a import b`: both `a` and `a.b`)."""
    package = ".".join(path.with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse((root / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _module_file(root: Path, name: str) -> Path | None:
    """The file of module `name` under `root` (a package's __init__.py), or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate.relative_to(root)
    return None


def _local_files(root: Path, name: str) -> list[Path]:
    """The files that importing `name` runs: each parent package's __init__.py, then its own;
    a benchmark helper (`import nb201_runs`) is looked up in benchmarks/."""
    if not name.startswith("graphnas") and not name.startswith("benchmarks"):
        helper = Path("benchmarks") / f"{name.split('.')[0]}.py"
        return [helper] if (root / helper).is_file() else []
    parts = name.split(".")
    files = [_module_file(root, ".".join(parts[: i + 1])) for i in range(len(parts))]
    return [f for f in files if f is not None]


def import_closure(root: Path, script: Path) -> set[Path]:
    """Repository files (relative to `root`) that running `script` may import."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = (root / path).read_text(encoding="utf-8")
        for package in _COMPUTED_IMPORT.findall(text):
            folder = root.joinpath(*package.split("."))
            todo += [p.relative_to(root) for p in folder.glob("*.py")]
        for name in _imported_names(root, path):
            todo += _local_files(root, name)
    return seen


def dependencies(root: Path, script: str) -> list[str]:
    """The paths (files and folders, relative to `root`) section figures of `script` depend on."""
    closure = import_closure(root, Path("benchmarks") / f"{script}.py")
    helpers = [p for p in closure if p.parts[0] == "benchmarks"]
    whole = any(
        marker in (root / p).read_text(encoding="utf-8")
        for p in helpers
        for marker in _WHOLE_PACKAGE
    )
    named = {
        m for p in closure for m in _EXPERIMENT.findall((root / p).read_text(encoding="utf-8"))
    }
    experiments = {f"experiments/{n}" for n in named if (root / "experiments" / n).is_file()}
    paths = {str(p) for p in closure} | experiments | set(ALWAYS)
    if whole:
        paths = {p for p in paths if not p.startswith(("graphnas/", "experiments/"))}
        paths |= {"graphnas", "experiments"}
    return sorted(paths)


def stamps(markdown: str) -> dict[str, tuple[str, bool]]:
    """{section name: (stamp commit, measured with uncommitted changes)} of every stamped
    generated section."""
    return {
        m.group("name"): (m.group("commit"), m.group("dirty") is not None)
        for m in _STAMPED.finditer(markdown)
    }


def _git_changed(root: Path, commit: str, paths: Iterable[str]) -> list[str]:
    done = subprocess.run(
        ["git", "diff", "--name-only", commit, "HEAD", "--", *paths],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"git diff {commit} HEAD failed: {done.stderr.strip()}")
    return done.stdout.split()


def verdicts(root: Path, markdown: str, suite: Iterable[Bench]) -> list[Verdict]:
    """Each stamped section of `markdown` with the dependency files changed since its stamp."""
    scripts = {bench.name: bench.script for bench in suite}
    out = []
    for name, (commit, dirty) in stamps(markdown).items():
        if name not in scripts:
            raise BenchError(f"BENCHMARKS.md section {name!r} is not an entry of the suite")
        changed = _git_changed(root, commit, dependencies(root, scripts[name]))
        out.append(Verdict(name, commit, changed, dirty))
    return out
