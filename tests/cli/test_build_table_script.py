"""scripts/build_nb201_table.py: one line and exit 2 without its CSV; the shipped table rebuilt."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_nb201_table.py"
HEADER = "nb201_index,arch_str,params_c10_M,nw_c10valid_valid,test_c10,naslib_val_c100,test_c100,"
HEADER += "naslib_val_in16,test_in16\n"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_nb201_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file (it comes with ../shared/data; give --csv PATH)"),
        ("nb201_index,arch_str\n0,|none~0|\n", "missing column"),
        (HEADER + "zero" + "," * HEADER.count(",") + "\n", "bad value"),
    ],
)
def test_a_missing_or_foreign_csv_is_one_line_and_writes_nothing(
    script, tmp_path: Path, capsys, content: str | None, expected: str
) -> None:
    csv_path, out = tmp_path / "merged.csv", tmp_path / "out" / "table.npz"
    if content is not None:
        csv_path.write_text(content)
    assert script.main(["--csv", str(csv_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"build_nb201_table: error: {csv_path}: ")
    assert expected in err and not out.parent.exists()


def test_the_shipped_table_is_what_the_script_builds(script, shared_data: Path, tmp_path) -> None:
    out = tmp_path / "table.npz"
    csv_path = shared_data / "nb201" / "nb201_merged.csv"
    assert script.main(["--csv", str(csv_path), "--out", str(out)]) == 0
    built, shipped = np.load(out), np.load(REPO / "graphnas" / "assets" / "nb201_table.npz")
    assert sorted(built.files) == sorted(shipped.files)
    for name in shipped.files:
        np.testing.assert_array_equal(built[name], shipped[name], err_msg=name)
