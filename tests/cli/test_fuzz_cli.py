"""Bad files through the command line: `graphnas search --config`, `info`, `export`, `train`.

Property: the command succeeds (status 0) or exits with status 2 and exactly one stderr line that
names the file, with no traceback. A sample runs in-process through `graphnas.cli.main` (the
console entry point); a few run as real subprocesses. Nothing already written is overwritten.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from fuzzing import (
    FUZZ_COUNTS,
    LOADED_COUNTS,
    assert_cli_user_error,
    deep_nesting_text,
    fuzz_report,  # noqa: F401  (session fixture: writes the per-loader counts)
    fuzz_settings,
    hostile_text,
    mutated_text,
    mutated_tree,
    random_bytes,
    run_cli,
)
from hypothesis import example, given
from hypothesis import strategies as st

from graphnas.export.formats import arch_bytes
from graphnas.spaces import load_space
from graphnas.spaces.loading import shipped_space_dir

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
# Keeps a config that happens to be valid cheap: two table queries, no progress or tracking.
CHEAP = ["budget.queries=2", "progress=false", "tracking.backends=[]"]


def check_cli(command: str, args: list[str], source: str) -> int:
    """Run the CLI; assert the success-or-one-line-error contract; count the input."""
    FUZZ_COUNTS[f"CLI: graphnas {command}"] += 1
    status, _, stderr = run_cli(args)
    assert "Traceback" not in stderr and "Warning:" not in stderr, stderr
    if status == 0:
        LOADED_COUNTS[f"CLI: graphnas {command}"] += 1
    else:
        assert_cli_user_error(status, stderr, source)
    return status


@cache
def experiment_text() -> str:
    return EXPERIMENT.read_text()


@fuzz_settings(max_examples=40)
@given(
    text=st.one_of(
        mutated_text([experiment_text()]),
        st.just(yaml.safe_load(experiment_text()))
        .flatmap(mutated_tree)
        .map(lambda tree: yaml.safe_dump(tree, allow_unicode=True)),
        deep_nesting_text(),
        hostile_text(),
    )
)
def test_fuzz_cli_search_config(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzzed-experiment.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run = tmp_path / "run"
    shutil.rmtree(run, ignore_errors=True)  # tmp_path is shared by the examples
    check_cli("search --config", ["search", "--config", str(path), f"out={run}", *CHEAP], str(path))


@cache
def space_texts() -> tuple[str, ...]:
    return tuple(p.read_text() for p in sorted(shipped_space_dir().glob("*.yaml")))


@fuzz_settings(max_examples=60)
@given(text=st.one_of(mutated_text(space_texts()), deep_nesting_text(), hostile_text()))
def test_fuzz_cli_info_space_file(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzzed-space.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_cli("info", ["info", str(path)], str(path))


@cache
def arch_texts() -> tuple[str, ...]:
    rng = np.random.default_rng(5)
    space = load_space("nb201")
    archs = [space.sample_prior(rng) for _ in range(3)]
    return (
        *(a.to_json(indent=1) for a in archs),
        "\n".join(a.to_json() for a in archs),
        arch_bytes(archs[0], "dot").decode(),
        archs[1].to_graphml(),
    )


@fuzz_settings(max_examples=60)
@given(
    suffix=st.sampled_from((".json", ".jsonl", ".dot", ".graphml")),
    content=st.one_of(
        mutated_text(arch_texts()).map(lambda t: t.encode("utf-8", "surrogatepass")),
        random_bytes(),
        deep_nesting_text().map(str.encode),
    ),
)
@example(  # a key without attr.type made networkx print a warning on stderr
    suffix=".graphml",
    content=re.sub(r' attr.type="[a-z]+"', "", arch_texts()[-1], count=1).encode(),
)
def test_fuzz_cli_export_arch_file(suffix: str, content: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"fuzzed-arch{suffix}"
    path.write_bytes(content)
    out = tmp_path / "out.json"
    args = ["export", str(path), "--format", "json", "--out", str(out)]
    if check_cli("export", args, str(path)) == 0:
        assert out.exists() or (tmp_path / "out.json").is_dir()


@fuzz_settings(max_examples=30)
@given(
    content=st.one_of(
        random_bytes(),
        deep_nesting_text().map(str.encode),
        mutated_text(arch_texts()[:1])
        .filter(lambda t: t != arch_texts()[0])
        .map(lambda t: t[: len(t) // 2].encode("utf-8", "surrogatepass")),
    )
)
def test_fuzz_cli_train_arch_file(content: bytes, tmp_path: Path) -> None:
    """Only inputs that cannot be a valid architecture (no training ever starts)."""
    path = tmp_path / "fuzzed-arch.json"
    path.write_bytes(content)
    args = ["train", str(path), "--data", "synthetic", "--epochs", "1", "--out", str(tmp_path)]
    assert check_cli("train", args, str(path)) == 2


# ---------------------------------------------------------------------------- real processes
def graphnas(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphnas.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"WANDB_MODE": "disabled", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )


def test_subprocess_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("seed: 2020-02-30\nbudget: [" + "[" * 3000)
    bad_arch = tmp_path / "bad.json"
    bad_arch.write_bytes(b'{"nodes": [{"op": null, "role": "input"}], "edges": [[0, 0]]')
    bad_space = tmp_path / "space.yaml"
    bad_space.write_text("kind: complete\nnum_nodes: .inf\n")
    cases = [
        (["search", "--config", str(bad_yaml)], str(bad_yaml)),
        (
            ["export", str(bad_arch), "--format", "svg", "--out", str(tmp_path / "o.svg")],
            "bad.json",
        ),
        (["info", str(bad_space)], str(bad_space)),
    ]
    for args, source in cases:
        done = graphnas(*args, cwd=tmp_path)
        assert_cli_user_error(done.returncode, done.stderr, source)
        assert done.stdout == ""
    assert not (tmp_path / "o.svg").exists()


def test_nothing_already_written_is_overwritten(tmp_path: Path) -> None:
    """A search pointed at an existing run refuses; the run's files stay byte for byte."""
    run = tmp_path / "run"
    status, _, stderr = run_cli(["search", "--config", str(EXPERIMENT), f"out={run}", *CHEAP])
    assert status == 0, stderr
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    again = graphnas(
        "search", "--config", str(EXPERIMENT), f"out={run}", *CHEAP, "seed=2", cwd=tmp_path
    )
    assert_cli_user_error(again.returncode, again.stderr, str(run))
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert json.loads(before["summary.json"])["queries"] == 2
