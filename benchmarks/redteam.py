"""Red-team rerun of issue 13's families: concurrency, tampering, signals, full disk, hostile
architecture files. Each case is an attack; it is held when the command refuses it in one line
(a GraphnasError) or survives it, and the run directory stays as it was (or resumable).

    python -m benchmarks.redteam [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from graphnas.config import load_search_config
from graphnas.errors import GraphnasError
from graphnas.graph import ArchGraph
from graphnas.search import RunDir, build_search, load_checkpoint, resume_search, run_loop
from graphnas.search.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "nb201.yaml"
ARGS = ["strategy=random", "budget.queries=6", "seed=0", "progress=false", "tracking.backends=[]"]


def files(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def fresh_run(root: Path, name: str) -> Path:
    out = root / name
    run_loop(build_search(load_search_config(EXPERIMENT, [f"out={out}", *ARGS])))
    return out


def refused_untouched(run: Path, attack: Callable[[], object]) -> bool:
    """The attack raises a GraphnasError and every file of `run` is as it was."""
    before = files(run)
    try:
        attack()
    except GraphnasError as err:
        return "\n" not in str(err) and files(run) == before
    return False


def edit_ledger(run: Path, line: int, **changes: object) -> None:
    lines = (run / "ledger.jsonl").read_text().splitlines()
    record = {**json.loads(lines[line]), **changes}
    lines[line] = json.dumps(record)
    (run / "ledger.jsonl").write_text("\n".join(lines) + "\n")


def tampering(root: Path) -> list[tuple[str, bool]]:
    cases = []
    for label, change in [
        ("reward 99.99", {"reward": 99.99}),
        ("reward NaN", {"reward": math.nan}),
        ("status flipped", {"status": "failed"}),
        ("hash replaced", {"hash": "0" * 32}),
        ("cost edited", {"cost_s": 1e9}),
    ]:
        run = fresh_run(root, f"t-{len(cases)}")
        edit_ledger(run, 2, **change)
        cases.append((f"ledger {label}", refused_untouched(run, lambda r=run: resume_search(r))))
    run = fresh_run(root, "t-config")
    text = (run / "config.yaml").read_text()
    (run / "config.yaml").write_text(text.replace("cifar10", "cifar100"))
    cases.append(("config.yaml dataset", refused_untouched(run, lambda: resume_search(run))))
    (run / "checkpoint.pt").unlink()
    cases.append(("config.yaml, no checkpoint", refused_untouched(run, lambda: resume_search(run))))
    for label, edit in [("best NaN", {"reward": math.nan}), ("best without code", {"reward": 1.0})]:
        run = fresh_run(root, f"t-ckpt-{len(cases)}")
        state = load_checkpoint(run / "checkpoint.pt")
        for key in ("format", "format_version", "graphnas_version"):
            state.pop(key)
        state["counters"]["best"] = edit
        save_checkpoint(run / "checkpoint.pt", state)
        cases.append(
            (f"checkpoint {label}", refused_untouched(run, lambda r=run: resume_search(r)))
        )
    return cases


def concurrency(root: Path) -> list[tuple[str, bool]]:
    run = fresh_run(root, "c-run")
    config = load_search_config(EXPERIMENT, [f"out={run}", *ARGS])
    cases = [("new search on a finished run", refused_untouched(run, lambda: build_search(config)))]
    with RunDir(run).locked():
        (run / ".checkpoint.pt.live.tmp").write_bytes(b"x")
        cases.append(("resume while in use", refused_untouched(run, lambda: resume_search(run))))
        cases.append(("search while in use", refused_untouched(run, lambda: build_search(config))))
    out = root / "c-race"
    base = [sys.executable, "-m", "graphnas.cli", "search", "--config", str(EXPERIMENT)]
    procs = [
        subprocess.Popen(
            [*base, f"out={out}", *ARGS[:-3], f"seed={s}", *ARGS[-2:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        for s in (1, 2)
    ]
    statuses = sorted(p.wait(timeout=300) for p in procs)
    seeds = {json.loads(x)["seed"] for x in (out / "ledger.jsonl").read_text().splitlines()}
    cases.append(("two searches started together", statuses == [0, 2] and len(seeds) == 1))
    return cases


def full_disk(root: Path) -> list[tuple[str, bool]]:
    mount = root / "tmpfs"
    mount.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        return []  # no tmpfs here (not permitted): the family is skipped, not counted
    try:
        out = mount / "run"
        cmd = [
            sys.executable,
            "-m",
            "graphnas.cli",
            "search",
            "--config",
            str(EXPERIMENT),
            f"out={out}",
            "strategy=random",
            "budget.queries=2000",
            *ARGS[-2:],
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        one_line = done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
        data = (out / "ledger.jsonl").read_bytes() if (out / "ledger.jsonl").exists() else b""
        return [("search on a 200 KB tmpfs", one_line and (not data or data.endswith(b"\n")))]
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def inputs() -> list[tuple[str, bool]]:
    attacks = {
        "dot: plain text": ("dot", "hello"),
        "dot: one-line cycle": ("dot", "digraph { 0 -> 1 -> 2 -> 0 }"),
        "dot: strict digraph": ("dot", "strict digraph { a -> b }"),
        "dot: BOM": ("dot", "\ufeffdigraph { }"),
        "graphml: entity bomb": ("graphml", '<!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>'),
        "graphml: not xml": ("graphml", "<<<"),
        "json: deep nesting": ("json", "[" * 100000),
        "json: huge number": ("json", "1" * 5000),
        "json: wrong schema": ("json", '{"nodes": 3}'),
    }
    readers = {
        "dot": ArchGraph.from_dot,
        "graphml": ArchGraph.from_graphml,
        "json": ArchGraph.from_json,
    }
    cases = []
    for label, (kind, text) in attacks.items():
        try:
            readers[kind](text)
            held = False  # read something it does not fully understand
        except GraphnasError as err:
            held = "\n" not in str(err)
        except Exception:  # a traceback is not a refusal
            held = False
        cases.append((label, held))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="graphnas-redteam-") as tmp:
        root = Path(tmp)
        families = {"tampering": tampering, "concurrency": concurrency, "full disk": full_disk}
        results = {
            name: run(root / name.replace(" ", "-"))
            for name, run in families.items()
            if (root / name.replace(" ", "-")).mkdir() is None
        }
        results["inputs"] = inputs()
        shutil.rmtree(root, ignore_errors=True)
    table = ["| family | tried | held | not held |", "|---|---|---|---|"]
    for family, cases in results.items():
        failed = [label for label, held in cases if not held]
        rows.append(
            {
                "family": family,
                "tried": len(cases),
                "held": len(cases) - len(failed),
                "not_held": failed,
            }
        )
        table.append(
            f"| {family} | {len(cases)} | {len(cases) - len(failed)} | {', '.join(failed) or '-'} |"
        )
    table_md = "\n".join(table)
    print(table_md)
    if options.json:
        command = "python -m benchmarks.redteam --json " + str(options.json)
        options.json.write_text(
            json.dumps(
                {"name": "redteam", "command": command, "table_md": table_md, "rows": rows},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
