"""Rewrite the generated sections of BENCHMARKS.md from the benchmark records.

A section is `<!-- bench:NAME -->` ... `<!-- /bench:NAME -->`; everything between the markers is
replaced by the command that reruns it, the commit and date it was measured at, and the record's
tables. Text outside the markers (the prose) is kept as written. A marker without a record is
left as it is and reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.runner import BenchError

_SECTION = re.compile(
    r"(?P<open><!-- bench:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /bench:(?P=name) -->)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Rendered:
    """The new text, the sections rewritten and the marked sections that have no record."""

    text: str
    rewritten: list[str]
    missing: list[str]


def section_body(record: dict[str, Any]) -> str:
    """The generated part of one section: command, where it was measured, tables."""
    commit = str(record.get("commit", "unknown"))[:12]
    dirty = " (with uncommitted changes)" if record.get("dirty") else ""
    mode = record.get("mode", "full")
    note = "" if mode == "full" else f", **{mode} mode: not the quoted configuration**"
    return (
        f"```\n{record['command']}\n```\n\n"
        f"Measured at commit `{commit}`{dirty} on {record.get('date', 'an unknown date')} "
        f"({record.get('seconds', '?')} s{note}; rerun: `python -m benchmarks --only "
        f"{record['name']}`).\n\n"
        f"{record['table_md'].strip()}\n"
    )


def render(text: str, records: dict[str, dict[str, Any]]) -> Rendered:
    """`text` with every marked section that has a record regenerated."""
    names = [m.group("name") for m in _SECTION.finditer(text)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise BenchError(f"BENCHMARKS.md marks {', '.join(duplicated)} more than once")
    unclosed = set(re.findall(r"<!-- bench:([\w.-]+) -->", text)) - set(names)
    if unclosed:
        raise BenchError(
            f"BENCHMARKS.md: no closing <!-- /bench:NAME --> for {', '.join(sorted(unclosed))}"
        )
    rewritten: list[str] = []

    def replace(match: re.Match[str]) -> str:
        record = records.get(match.group("name"))
        if record is None:
            return match.group(0)
        rewritten.append(match.group("name"))
        return match.group("open") + section_body(record) + match.group("close")

    new_text = _SECTION.sub(replace, text)
    return Rendered(new_text, rewritten, [n for n in names if n not in records])


def load_records(directory: Path) -> dict[str, dict[str, Any]]:
    """Every record in `directory` (not its subfolders), by name."""
    records = {}
    for path in sorted(directory.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise BenchError(f"{path}: not JSON ({err})") from None
        if not isinstance(record, dict) or "table_md" not in record or "name" not in record:
            raise BenchError(f"{path}: not a benchmark record")
        records[record["name"]] = record
    return records
