"""CIFAR python-pickle batches: layout, pixel order, and the restricted unpickler."""

from __future__ import annotations

import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from graphnas.data.cifar import UnsafePickleError, load_cifar, load_data_pickle
from graphnas.data.replica import write_cifar_replica
from graphnas.data.spec import load_dataset
from graphnas.errors import InputFileError


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar10_layout_and_pixel_order(tmp_path: Path, protocol: int) -> None:
    folder = write_cifar_replica(tmp_path, "cifar10", per_batch=7, protocol=protocol)
    ds = load_cifar(tmp_path, "cifar10")
    assert ds.num_classes == 10 and ds.classes[3] == "class3"
    assert ds.train.images.shape == (35, 3, 32, 32) and ds.val.images.shape == (7, 3, 32, 32)
    batch2 = pickle.loads((folder / "data_batch_2").read_bytes(), encoding="bytes")
    row = batch2[b"data"][4]
    # Rows are channel-major: 1024 red, then 1024 green, then 1024 blue values, row by row.
    assert ds.train.images[7 + 4, 1, 2, 5] == row[1024 + 2 * 32 + 5]
    assert ds.train.labels[7:14].tolist() == batch2[b"labels"]
    assert ds.test is None


def test_cifar100_from_tar_gz(tmp_path: Path) -> None:
    folder = write_cifar_replica(tmp_path / "src", "cifar100", per_batch=9)
    archive = tmp_path / "cifar-100-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    ds = load_dataset(f"cifar100:{archive}")
    direct = load_cifar(folder, "cifar100")
    assert ds.num_classes == 100 and len(ds.train) == 9 and len(ds.val) == 9
    assert torch.equal(ds.train.images, direct.train.images)
    assert torch.equal(ds.val.labels, direct.val.labels)


class _RunsCode:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch should-not-exist",))


def test_code_in_a_pickle_is_refused_without_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps({b"data": _RunsCode()})
    with pytest.raises(UnsafePickleError, match=r"refused to load: pickle references posix.system"):
        load_data_pickle(payload, "batch")
    assert not (tmp_path / "should-not-exist").exists()


def test_non_numeric_arrays_and_objects_are_refused() -> None:
    objects = np.array([1, "a", None], dtype=object)
    with pytest.raises(UnsafePickleError, match="array of dtype object"):
        load_data_pickle(pickle.dumps({b"data": objects}, protocol=2), "batch")
    with pytest.raises(UnsafePickleError, match=r"references __builtin__\.set"):
        load_data_pickle(pickle.dumps({b"x": {1, 2}}, protocol=2), "batch")
    with pytest.raises(UnsafePickleError, match="value of type set"):
        load_data_pickle(pickle.dumps({b"x": {1, 2}}, protocol=4), "batch")
    with pytest.raises(InputFileError, match="batch: not a valid pickle"):
        load_data_pickle(b"not a pickle", "batch")
    plain = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [1, 2], "s": 1.5}
    loaded = load_data_pickle(pickle.dumps(plain, protocol=2), "batch")
    assert np.array_equal(loaded[b"data"], plain[b"data"]) and loaded[b"labels"] == [1, 2]


def test_tampered_batch_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_cifar_replica(tmp_path, "cifar10", per_batch=4)
    (folder / "data_batch_3").write_bytes(pickle.dumps({b"data": _RunsCode()}))
    with pytest.raises(UnsafePickleError, match="data_batch_3: refused to load"):
        load_cifar(folder)
    bad_shape = {b"data": np.zeros((4, 100), dtype=np.uint8), b"labels": [0, 1, 2, 3]}
    (folder / "data_batch_3").write_bytes(pickle.dumps(bad_shape))
    with pytest.raises(InputFileError, match=r"data_batch_3: 'data' must be a uint8 array"):
        load_cifar(folder)
    bad_labels = {b"data": np.zeros((4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 10]}
    (folder / "data_batch_3").write_bytes(pickle.dumps(bad_labels))
    with pytest.raises(InputFileError, match=r"labels outside 0\.\.9"):
        load_cifar(folder)
