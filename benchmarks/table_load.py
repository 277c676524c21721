"""Table load time: graphnas's table reader vs pandas.read_csv on the same 10^5-row files.

Writes a CSV (code, two numbers, a trial list as JSON) and the same rows as JSON lines, then times
a cold read (best of --repeats) of each by `graphnas.evaluators.table_files.read_table` and by
pandas (`read_csv`, `read_json(lines=True)`; pandas leaves the trial lists as text / objects).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from record import add_json_option, write_record

from graphnas.evaluators.table_files import read_table


def _write(folder: Path, rows: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    codes = [np.base_repr(i, 4).zfill(11) for i in range(rows)]
    values, trials = rng.random((rows, 2)).round(5), rng.random((rows, 3)).round(4)
    csv_path, jsonl_path = folder / "bench.csv", folder / "bench.jsonl"
    with csv_path.open("w", newline="") as handle, jsonl_path.open("w") as lines:
        writer = csv.writer(handle)
        writer.writerow(["arch", "val", "test", "trials"])
        for code, (a, b), t in zip(codes, values, trials, strict=True):
            writer.writerow([code, a, b, json.dumps(t.tolist())])
            record = {"arch": code, "val": a, "test": b, "trials": t.tolist()}
            lines.write(json.dumps(record) + "\n")
    return csv_path, jsonl_path


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    add_json_option(parser)
    args = parser.parse_args()
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        csv_path, jsonl_path = _write(Path(tmp), args.rows)
        rows = []
        for fmt, path, reference in (
            ("CSV", csv_path, lambda p: pd.read_csv(p, dtype={"arch": str})),
            ("JSON lines", jsonl_path, lambda p: pd.read_json(p, lines=True, dtype={"arch": str})),
        ):
            ours = _best(lambda p=path: read_table(p, "arch", "reward"), args.repeats)
            theirs = _best(lambda p=path, f=reference: f(p), args.repeats)
            rows.append(
                {
                    "format": fmt,
                    "rows": args.rows,
                    "graphnas_s": ours,
                    "pandas_s": theirs,
                    "ratio": ours / theirs,
                }
            )
    table = [
        "| format | rows | graphnas table reader (s) | pandas (s) | graphnas / pandas |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {r['format']} | {r['rows']:,} | {r['graphnas_s']:.3f} | {r['pandas_s']:.3f} | "
            f"{r['ratio']:.1f}x |"
            for r in rows
        ),
        "",
        f"Best of {args.repeats} cold reads each, wall time, one process. The graphnas reader "
        "also parses the trial lists into a [rows, 3] float array and indexes the codes; pandas "
        "leaves the lists as strings (CSV) or Python lists (JSON lines).",
    ]
    write_record(args.json, "table_load", "\n".join(table), rows)


if __name__ == "__main__":
    main()
