"""Fuzzing the file readers: architecture files and JSONL (export), run directories (ledger,
summary, config) from another version or a crash, `graphnas train`'s ARCH.json, training
checkpoints (truncated, foreign, code-carrying pickles) and benchmark data pickles (NB101 layout).

Property: every input either loads or raises a GraphnasError whose message is one line naming the
file; never another exception.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
from fuzzing import (
    check_loader,
    deep_nesting_text,
    fuzz_report,  # noqa: F401  (session fixture: writes the per-loader counts)
    fuzz_settings,
    hostile_text,
    json_values,
    mutated_bytes,
    mutated_text,
    mutated_tree,
    random_bytes,
)
from hypothesis import example, given
from hypothesis import strategies as st

import graphnas.search
from graphnas.config import load_search_config
from graphnas.data.spec import load_dataset
from graphnas.errors import InputFileError
from graphnas.export.formats import arch_bytes
from graphnas.export.sources import load_source
from graphnas.graph import ArchGraph
from graphnas.safe_pickle import UnsafePickleError, read_data_pickle
from graphnas.search import RunDir, run_search
from graphnas.spaces import load_space
from graphnas.train.checkpoint import load_checkpoint, save_checkpoint
from graphnas.train.run import read_arch

REPO = Path(__file__).resolve().parents[1]
# The resume entry point (absent in versions without `graphnas search --resume`).
resume_search = getattr(graphnas.search, "resume_search", None)


# ============================================================================ a real run directory
@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 12-query random search on the NB201 table (config, ledger, summary)."""
    out = tmp_path_factory.mktemp("fuzz-run") / "run"
    config = load_search_config(
        REPO / "experiments" / "nb201.yaml",
        [
            f"out={out}",
            "progress=false",
            "tracking.backends=[]",
            "strategy=random",
            "budget.queries=12",
        ],
    )
    run_search(config)
    return out


@st.composite
def run_dir_damage(draw: st.DrawFn, run: Path) -> dict[str, bytes | None]:
    """New contents for some of the run's files (None: file deleted)."""
    files = {name: (run / name).read_bytes() for name in ("ledger.jsonl", "summary.json")}
    files["config.yaml"] = (run / "config.yaml").read_bytes()
    changed: dict[str, bytes | None] = {}
    for name in draw(st.sets(st.sampled_from(sorted(files)), min_size=1)):
        original = files[name].decode()
        how = draw(st.sampled_from(("text", "lines", "tree", "garbage", "delete", "bytes")))
        if how == "delete":
            changed[name] = None
        elif how == "bytes":
            changed[name] = draw(mutated_bytes([files[name]]))
        elif how == "garbage":
            changed[name] = draw(st.one_of(hostile_text(), deep_nesting_text())).encode(
                "utf-8", "surrogatepass"
            )
        elif how == "text":
            changed[name] = draw(mutated_text([original])).encode("utf-8", "surrogatepass")
        elif how == "tree" and name != "config.yaml":
            lines = original.splitlines() if name == "ledger.jsonl" else [original]
            k = draw(st.integers(0, len(lines) - 1))
            lines[k] = json.dumps(draw(mutated_tree(json.loads(lines[k]))), allow_nan=True)
            changed[name] = ("\n".join(lines) + "\n").encode()
        else:  # garbage lines inserted into a line-oriented file
            lines = original.splitlines()
            for _ in range(draw(st.integers(1, 3))):
                k = draw(st.integers(0, len(lines)))
                junk = draw(
                    st.one_of(
                        hostile_text(), json_values().map(lambda v: json.dumps(v, allow_nan=True))
                    )
                )
                lines.insert(k, junk)
            changed[name] = "\n".join(lines).encode("utf-8", "surrogatepass")
    return changed


def damaged_copy(run: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run, target)
    for name, data in changes.items():
        if data is None:
            (target / name).unlink()
        else:
            (target / name).write_bytes(data)
    return target


@fuzz_settings(max_examples=150)
@given(data=st.data())
def test_fuzz_run_directory(real_run: Path, tmp_path: Path, data: st.DataObject) -> None:
    run = damaged_copy(real_run, tmp_path / "damaged-run", data.draw(run_dir_damage(real_run)))
    source = check_loader("run directory (export)", str(run), lambda: load_source(run))
    if source is not None:
        assert source.kind == "run" and source.records
        assert all(not r.arch.structural_problems() for r in source.records)
    entries = check_loader("ledger reader", str(run), lambda: list(RunDir(run).read_ledger()))
    if entries is not None:
        assert all(isinstance(e, dict) for e in entries)


REGRESSIONS = {
    # inputs that crashed a reader (non-GraphnasError) before the fuzz tests found them
    "ledger.jsonl": "[" * 5000 + "\n{}\n",
    "summary.json": '{"a":' * 5000,
    "ledger-huge-number.jsonl": '{"reward": ' + "9" * 5000 + "}\n{}\n",
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_run_directory_regressions(real_run: Path, tmp_path: Path, name: str) -> None:
    target = "summary.json" if name == "summary.json" else "ledger.jsonl"
    run = damaged_copy(real_run, tmp_path / "run", {target: REGRESSIONS[name].encode()})
    with pytest.raises(InputFileError) as caught:
        load_source(run)
    assert str(run / target) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("deep.jsonl", "[" * 5000, "nested too deeply"),
        ("empty.json", "[]", "holds no architectures"),
        ("reward.jsonl", '{"arch": {"nodes": []}, "reward": 1' + "0" * 400 + "}", "reward"),
    ],
)
def test_arch_file_regressions(tmp_path: Path, name: str, content: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputFileError, match=problem) as caught:
        load_source(path)
    assert str(path) in str(caught.value)


def test_train_arch_json_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "arch.json"
    path.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(InputFileError, match=r"arch\.json: not UTF-8 text"):
        read_arch(path)


# ============================================================================ resume
@pytest.fixture(scope="module")
def resumable_run(real_run: Path) -> Path:
    """The real run, if this version writes a search checkpoint and can resume."""
    if resume_search is None or not (real_run / "checkpoint.pt").is_file():
        pytest.skip("graphnas.search.resume_search or checkpoint.pt not available yet")
    return real_run


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@fuzz_settings(max_examples=100)
@given(data=st.data())
def test_fuzz_resume_run_directory(
    resumable_run: Path, tmp_path: Path, data: st.DataObject
) -> None:
    """`graphnas search --resume` on a damaged run: a clean refusal that writes nothing, or a
    loop ready to continue."""
    changes = data.draw(run_dir_damage(resumable_run))
    if data.draw(st.booleans()):
        checkpoint = (resumable_run / "checkpoint.pt").read_bytes()
        changes["checkpoint.pt"] = data.draw(
            st.one_of(mutated_bytes([checkpoint]), random_bytes(), st.none())
        )
    run = damaged_copy(resumable_run, tmp_path / "damaged-run", changes)
    before = snapshot(run)
    loop = check_loader("run directory (resume)", str(run), lambda: resume_search(run))
    if loop is None:
        assert snapshot(run) == before, "a refused resume changed the run directory"
    else:
        loop.pool.close()


# ============================================================================ arch files
@cache
def arch_documents() -> dict[str, tuple[str, ...]]:
    rng = np.random.default_rng(3)
    archs = []
    for name in ("nb201", "nb101", "enas_macro", "complete"):
        space = load_space(name)
        archs += [space.sample_prior(rng) for _ in range(3)]
    jsonl = "\n".join(a.to_json() for a in archs) + "\n"
    records = "\n".join(
        json.dumps({"arch": a.to_dict(), "reward": float(i), "query": i, "metrics": {"x": 1.0}})
        for i, a in enumerate(archs)
    )
    return {
        ".json": (
            *(a.to_json(indent=1) for a in archs[:4]),
            json.dumps([a.to_dict() for a in archs[:3]]),
        ),
        ".jsonl": (jsonl, records + "\n"),
        ".graphml": tuple(a.to_graphml() for a in archs[:4]),
        ".dot": tuple(arch_bytes(a, "dot").decode() for a in archs[:4]),
    }


@st.composite
def arch_file(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from((".json", ".jsonl", ".graphml", ".dot", ".txt")))
    docs = arch_documents().get(suffix, arch_documents()[".json"])
    content = draw(
        st.one_of(
            mutated_text(docs).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.sampled_from(arch_documents()[".json"])
            .map(json.loads)
            .flatmap(mutated_tree)
            .map(lambda v: json.dumps(v, allow_nan=True).encode()),
            deep_nesting_text().map(str.encode),
            random_bytes(),
        )
    )
    return suffix, content


@fuzz_settings(max_examples=250)
@given(file=arch_file())
def test_fuzz_arch_files_for_export(file: tuple[str, bytes], tmp_path: Path) -> None:
    suffix, content = file
    path = tmp_path / f"fuzzed-archs{suffix}"
    path.write_bytes(content)
    source = check_loader("arch file / JSONL (export)", str(path), lambda: load_source(path))
    if source is not None:
        assert source.records
        for record in source.records:
            assert ArchGraph.from_json(record.arch.to_json()) == record.arch


@fuzz_settings(max_examples=120)
@given(
    content=st.one_of(
        mutated_text(arch_documents()[".json"][:4]).map(
            lambda t: t.encode("utf-8", "surrogatepass")
        ),
        random_bytes(),
    )
)
def test_fuzz_train_arch_json(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fuzzed-arch.json"
    path.write_bytes(content)
    arch = check_loader("ARCH.json (train)", str(path), lambda: read_arch(path))
    if arch is not None:
        assert not arch.structural_problems()


# ============================================================================ dataset specs
SPEC_VALUES = ("0", "1", "-1", "2", "3", "16", "x", "", "9" * 30, "1e3", " 4 ", "\u0663")


@st.composite
def dataset_spec(draw: st.DrawFn) -> str:
    """`--data` strings: synthetic with odd options, or a dataset kind with an odd path."""
    kind = draw(st.sampled_from(("synthetic", "Synthetic", "cifar10", "cifar100", "tiny-imagenet")))
    if kind.lower() == "synthetic":
        keys = st.sampled_from(("classes", "train", "val", "size", "seed", "bogus", ""))
        items = st.tuples(keys, st.sampled_from(SPEC_VALUES)).map("=".join)
        options = draw(st.lists(st.one_of(items, hostile_text()), max_size=4))
        return kind + (":" + ",".join(options) if options or draw(st.booleans()) else "")
    return f"{kind}:{draw(st.one_of(hostile_text(), st.just('~nosuchuser/data')))}"


@fuzz_settings(max_examples=150)
@given(spec=st.one_of(dataset_spec(), hostile_text()))
@example(spec="cifar10:~nosuchuser/data")
@example(spec="synthetic:classes=-1")
@example(spec="cifar100:" + "x" * 5000)
def test_fuzz_dataset_spec(spec: str) -> None:
    arg = spec.partition(":")[2]
    # The message names the spec, or the path it gives (as pathlib spells it).
    sources = [repr(spec), str(Path(arg))] if arg else [repr(spec)]
    data = check_loader("dataset spec (--data)", sources, lambda: load_dataset(spec))
    if data is not None:
        assert data.train.images.shape[0] == data.train.labels.shape[0] > 0
        assert data.train.images.dtype == torch.uint8 and data.num_classes >= 1


# ============================================================================ checkpoints
class _RunsCode:
    """Unpickling this calls os.system: what a hostile checkpoint would carry."""

    def __reduce__(self) -> tuple:
        return (os.system, ("touch pwned-by-pickle",))


@cache
def checkpoint_documents() -> tuple[bytes, ...]:
    """A real training checkpoint, plus foreign and hostile ones."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    state = {
        "model": model.state_dict(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1).state_dict(),
        "epoch": 3,
        "history": [{"loss": 0.5}],
        "rng": torch.get_rng_state(),
    }
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"graphnas-fuzz-ckpt-{os.getpid()}"
    save_checkpoint(state, folder / "real.pt")
    real = (folder / "real.pt").read_bytes()
    shutil.rmtree(folder)
    whole_model, code, plain = io.BytesIO(), io.BytesIO(), io.BytesIO()
    torch.save(model, whole_model)  # a full-module pickle: needs code to load
    torch.save({"x": _RunsCode()}, code)
    torch.save({"format": "someone-else/1", "w": torch.ones(2)}, plain)
    npy, zipped = io.BytesIO(), io.BytesIO()
    np.save(npy, np.arange(5.0))
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
    return (
        real,
        whole_model.getvalue(),
        code.getvalue(),
        plain.getvalue(),
        zipped.getvalue(),
        pickle.dumps(_RunsCode()),
        pickle.dumps({"format": "graphnas.train-checkpoint/1"}, protocol=2),
        npy.getvalue(),
    )


@fuzz_settings(max_examples=250)
@given(
    content=st.one_of(
        mutated_bytes(checkpoint_documents()[:1]),
        mutated_bytes(checkpoint_documents()),
        st.sampled_from(checkpoint_documents()),
        random_bytes(),
    )
)
def test_fuzz_training_checkpoint(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fuzzed-checkpoint.pt"
    path.write_bytes(content)
    state = check_loader("training checkpoint", str(path), lambda: load_checkpoint(path))
    assert not (tmp_path / "pwned-by-pickle").exists()
    if state is not None:
        assert state["format"] == "graphnas.train-checkpoint/1"


def test_checkpoint_with_code_is_refused_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for content in checkpoint_documents()[1:3] + checkpoint_documents()[5:6]:
        path = tmp_path / "hostile.pt"
        path.write_bytes(content)
        with pytest.raises(InputFileError) as caught:
            load_checkpoint(path)
        assert str(caught.value).startswith(str(path))
    assert not (tmp_path / "pwned-by-pickle").exists()


# ============================================================================ data pickles
def nb101_fixture_like(cells: int, seed: int) -> dict:
    """A pickle payload in the official nasbench layout of the shared NB101 fixture:
    {hash: ({module_adjacency, module_operations, trainable_parameters}, {108: [run, ...]})}."""
    rng = np.random.default_rng(seed)
    ops = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]
    data = {}
    for i in range(cells):
        matrix = np.triu(rng.integers(0, 2, size=(7, 7)), k=1).astype(np.int64)
        fixed = {
            "module_adjacency": matrix,
            "module_operations": ["input", *rng.choice(ops, size=5).tolist(), "output"],
            "trainable_parameters": int(rng.integers(10**5, 10**7)),
        }
        runs = [
            {
                "final_training_time": float(rng.uniform(1000, 2000)),
                "final_validation_accuracy": float(rng.uniform(0.8, 0.95)),
                "final_test_accuracy": np.float64(rng.uniform(0.8, 0.95)),
            }
            for _ in range(3)
        ]
        data[f"{i:032x}"] = (fixed, {108: runs})
    return data


@cache
def data_pickles() -> tuple[bytes, ...]:
    payload = nb101_fixture_like(4, seed=0)
    documents = [pickle.dumps(payload, protocol=p) for p in (2, 4, 5)]
    documents.append(pickle.dumps({"x": {1, 2}}, protocol=4))
    documents.append(pickle.dumps({"x": np.array(["a"], dtype=object)}, protocol=4))
    documents.append(pickle.dumps(_RunsCode(), protocol=4))
    return tuple(documents)


@fuzz_settings(max_examples=250)
@given(
    content=st.one_of(
        mutated_bytes(data_pickles()[:3]),
        mutated_bytes(data_pickles()),
        st.sampled_from(data_pickles()),
        random_bytes(),
    )
)
def test_fuzz_nb101_data_pickle(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fuzzed-nb101.pkl"
    path.write_bytes(content)
    check_loader("NB101 data pickle", str(path), lambda: read_data_pickle(path))
    assert not (tmp_path / "pwned-by-pickle").exists()


def test_nb101_layout_round_trips_through_the_restricted_unpickler(tmp_path: Path) -> None:
    payload = nb101_fixture_like(3, seed=1)
    for protocol in (2, 4, 5):
        path = tmp_path / f"p{protocol}.pkl"
        path.write_bytes(pickle.dumps(payload, protocol=protocol))
        loaded = read_data_pickle(path)
        assert loaded.keys() == payload.keys()
        for key, (fixed, runs) in payload.items():
            got_fixed, got_runs = loaded[key]
            assert np.array_equal(got_fixed["module_adjacency"], fixed["module_adjacency"])
            assert got_fixed["module_operations"] == fixed["module_operations"]
            assert got_runs[108][2]["final_test_accuracy"] == runs[108][2]["final_test_accuracy"]


def test_shared_nb101_fixture_loads_restrictedly(shared_data: Path) -> None:
    loaded = read_data_pickle(shared_data / "nb101" / "nb101_dummy.pkl")
    assert len(loaded) == 30
    fixed, runs = next(iter(loaded.values()))
    assert fixed["module_adjacency"].shape == (7, 7)
    assert fixed["module_operations"][0] == "input" and len(runs[108]) == 3


def test_data_pickle_refusals_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_RunsCode()))
    with pytest.raises(UnsafePickleError, match=r"evil.pkl: refused to load: .*system"):
        read_data_pickle(path)
    path.write_bytes(pickle.dumps({"v": np.float64(1.5), "s": np.array(["a"])}, protocol=4))
    with pytest.raises(UnsafePickleError, match=r"evil.pkl: refused to load: array of dtype <U1"):
        read_data_pickle(path)
