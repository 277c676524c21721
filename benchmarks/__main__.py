"""`python -m benchmarks [--mode quick|full] [--only NAME ...] [--list]` runs the suite;
`python -m benchmarks render [--mode full|quick] [--out PATH]` rewrites BENCHMARKS.md's sections;
`python -m benchmarks stale [--source PATH]` lists the sections whose code changed since their
stamp (exit 1 if any)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.render import load_records, render
from benchmarks.runner import MODES, ROOT, BenchError, results_dir, run_suite
from benchmarks.stale import verdicts
from benchmarks.suite import SUITE


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["render"]:
            return _render(argv[1:])
        if argv[:1] == ["stale"]:
            return _stale(argv[1:])
        return _run(argv)
    except BenchError as err:
        print(f"benchmarks: {err}", file=sys.stderr)
        return 2


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--mode", choices=MODES, default="full")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--list", action="store_true", help="list the entries and exit")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    args = parser.parse_args(argv)
    if args.list:
        for bench in SUITE:
            quick, full = " ".join(bench.quick), " ".join(bench.full)
            print(f"{bench.name}: benchmarks/{bench.script}.py  quick: {quick}  full: {full}")
        return 0
    outcomes = run_suite(SUITE, args.mode, args.only, timeout_s=args.timeout)
    failed = [o.name for o in outcomes if o.status == "failed"]
    skipped = [o.name for o in outcomes if o.status == "skipped"]
    print(
        f"benchmarks: {len(outcomes) - len(failed) - len(skipped)} ok, {len(skipped)} skipped"
        + (f" ({', '.join(skipped)})" if skipped else "")
        + f", {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
    )
    return 1 if failed else 0


def _render(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks render")
    parser.add_argument("--mode", choices=MODES, default="full", help="whose records to use")
    parser.add_argument("--source", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--out", type=Path, default=None, help="write here (default: --source)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        raise BenchError(f"{args.source}: no such file")
    rendered = render(args.source.read_text(encoding="utf-8"), load_records(results_dir(args.mode)))
    out = args.out or args.source
    out.write_text(rendered.text, encoding="utf-8")
    print(f"benchmarks: rendered {len(rendered.rewritten)} section(s) into {out}")
    if rendered.missing:
        print(
            f"benchmarks: no {args.mode} record for {', '.join(rendered.missing)} (left as it was)"
        )
    return 0


def _stale(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks stale")
    parser.add_argument("--source", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        raise BenchError(f"{args.source}: no such file")
    found = verdicts(ROOT, args.source.read_text(encoding="utf-8"), SUITE)
    for verdict in found:
        reasons = (["measured with uncommitted changes"] if verdict.dirty else []) + verdict.changed
        state = f"stale: {', '.join(reasons)}" if verdict.stale else "current"
        print(f"{verdict.name} (measured at {verdict.commit}): {state}")
    stale = [v.name for v in found if v.stale]
    print(f"benchmarks: {len(found) - len(stale)} current, {len(stale)} stale")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
