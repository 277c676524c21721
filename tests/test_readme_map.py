"""The README's map of where each kind of change goes stays true: every path it names exists,
every package and top-level module of graphnas/ is on it, and a package imports only packages on
the rows above its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "graphnas"


def map_rows() -> list[list[str]]:
    """The backticked names of each row's "where" column, in row order."""
    text = (REPO / "README.md").read_text()
    section = text.split("Where a change of each kind goes.", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    return [re.findall(r"`([^`]+)`", row.rsplit(" | ", 1)[1]) for row in rows]


def missing_names() -> list[str]:
    """The names on the map that are no file or folder: a path from the repository root, or a
    short name found in the row's package, the repository root or graphnas/."""
    missing = []
    for names in map_rows():
        first = next((n for n in names if n.startswith("graphnas/")), "graphnas/")
        folder = REPO / first.rsplit("/", 1)[0]
        for name in names:
            if "<" in name or " " in name or not ("/" in name or name.endswith(".py")):
                continue  # a pattern, a command, a module name
            if name.startswith(("graphnas/", "benchmarks/")):
                found = (REPO / name).exists()
            else:
                found = any((base / name).exists() for base in (folder, REPO, PACKAGE))
            if not found:
                missing.append(name)
    return missing


def package_rows() -> dict[str, int]:
    """graphnas subpackage -> the first row naming it."""
    rows: dict[str, int] = {}
    for i, names in enumerate(map_rows()):
        for name in names:
            match = re.fullmatch(r"graphnas/([a-z_]+)/.*", name)
            if match:
                rows.setdefault(match.group(1), i)
    return rows


def imported_packages(package: str) -> set[str]:
    """The graphnas subpackages that modules of `package` import (other than itself)."""
    found = set()
    for path in (PACKAGE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "graphnas" and len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
                    found.add(parts[1])
    return found - {package}


def test_every_path_on_the_map_exists() -> None:
    assert sum(len(names) for names in map_rows()) > 30
    assert missing_names() == []


def test_every_package_and_top_level_module_is_on_the_map() -> None:
    named = " ".join(" ".join(names) for names in map_rows())
    packages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    absent = [f"graphnas/{p}/" for p in packages if f"graphnas/{p}/" not in named]
    absent += [m for m in modules if m not in named]
    assert not absent


def test_packages_import_only_the_rows_above_their_own() -> None:
    rows = package_rows()
    upward = {
        package: sorted(dep for dep in imported_packages(package) if rows.get(dep, -1) > row)
        for package, row in rows.items()
    }
    assert {p: deps for p, deps in upward.items() if deps} == {}
