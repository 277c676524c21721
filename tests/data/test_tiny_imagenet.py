"""Tiny ImageNet: official layout, grayscale handling, the tensor cache and its staleness."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from graphnas.data import tiny_imagenet
from graphnas.data.replica import write_tiny_imagenet_replica
from graphnas.data.spec import load_dataset
from graphnas.data.tiny_imagenet import load_tiny_imagenet
from graphnas.errors import InputFileError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SUBSET_TAR = SHARED / "tiny-imagenet" / "tiny-imagenet-200-sub10.tar"


def _pillow_rgb(path: Path) -> torch.Tensor:
    with Image.open(path) as image:
        return torch.from_numpy(np.asarray(image.convert("RGB")).transpose(2, 0, 1).copy())


@pytest.fixture
def replica(tmp_path: Path) -> Path:
    return write_tiny_imagenet_replica(
        tmp_path / "data", num_classes=3, train_per_class=5, val_per_class=2, test_images=3
    )


def test_layout_order_labels_and_pixels(replica: Path, tmp_path: Path) -> None:
    ds = load_tiny_imagenet(replica.parent, cache_dir=tmp_path / "cache")
    wnids = replica.joinpath("wnids.txt").read_text().split()
    assert ds.classes == tuple(wnids) and ds.num_classes == 3 and ds.resolution == 64
    assert ds.train.images.shape == (15, 3, 64, 64) and ds.train.images.dtype == torch.uint8
    assert ds.train.labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    # Train image k of class c sits at row 5c + k; pixels equal a direct Pillow decode.
    for c, wnid in enumerate(wnids):
        for k in (0, 3):
            path = replica / "train" / wnid / "images" / f"{wnid}_{k}.JPEG"
            assert torch.equal(ds.train.images[5 * c + k], _pillow_rgb(path))
    # Val labels follow val_annotations.txt (written in shuffled order), rows ordered by number.
    label_of = {}
    for line in replica.joinpath("val/val_annotations.txt").read_text().splitlines():
        file, wnid = line.split("\t")[:2]
        label_of[file] = wnids.index(wnid)
    assert ds.val.labels.tolist() == [label_of[f"val_{k}.JPEG"] for k in range(6)]
    assert torch.equal(ds.val.images[4], _pillow_rgb(replica / "val/images/val_4.JPEG"))
    assert ds.test is not None and len(ds.test) == 3 and (ds.test.labels == -1).all()
    assert not ds.test.labelled and ds.train.labelled
    mean = ds.train.images.double().mean(dim=(0, 2, 3)) / 255
    assert torch.allclose(torch.tensor(ds.mean, dtype=torch.float64), mean, atol=1e-9)


def test_grayscale_jpegs_become_rgb(replica: Path, tmp_path: Path) -> None:
    wnid = replica.joinpath("wnids.txt").read_text().split()[0]
    gray = replica / "train" / wnid / "images" / f"{wnid}_3.JPEG"  # every 4th image is grayscale
    with Image.open(gray) as image:
        assert image.mode == "L"
    ds = load_tiny_imagenet(replica, cache_dir=tmp_path / "cache")
    img = ds.train.images[3]
    assert torch.equal(img[0], img[1]) and torch.equal(img[1], img[2])
    with Image.open(gray) as image:
        assert torch.equal(img[0], torch.from_numpy(np.array(image)))


def test_second_load_reads_the_cache_not_the_jpegs(
    replica: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_tiny_imagenet(replica, cache_dir=tmp_path / "cache")

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("a JPEG was decoded although the cache is valid")

    monkeypatch.setattr(tiny_imagenet, "decode_rgb", no_decoding)
    second = load_tiny_imagenet(replica, cache_dir=tmp_path / "cache")
    assert torch.equal(first.train.images, second.train.images)
    assert torch.equal(first.val.labels, second.val.labels)


def test_stale_cache_is_detected_and_rebuilt(replica: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = load_tiny_imagenet(replica, cache_dir=cache)
    wnid = replica.joinpath("wnids.txt").read_text().split()[1]
    target = replica / "train" / wnid / "images" / f"{wnid}_0.JPEG"
    Image.new("RGB", (64, 64), (250, 10, 10)).save(target, format="JPEG")
    after = load_tiny_imagenet(replica, cache_dir=cache)
    assert torch.equal(after.train.images[5], _pillow_rgb(target))
    assert not torch.equal(after.train.images[5], before.train.images[5])
    assert torch.equal(after.train.images[:5], before.train.images[:5])


def test_incomplete_cache_is_rebuilt(replica: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_tiny_imagenet(replica, cache_dir=cache)
    (meta,) = cache.glob("*/meta.json")
    meta.unlink()  # as if the process died before committing
    again = load_tiny_imagenet(replica, cache_dir=cache)
    assert torch.equal(first.train.images, again.train.images)


def test_archive_source_equals_folder(replica: Path, tmp_path: Path) -> None:
    archive = tmp_path / "replica.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(replica, arcname="tiny-imagenet-200")
    from_tar = load_dataset(f"tiny-imagenet:{archive}", cache_dir=tmp_path / "c1")
    from_dir = load_dataset(f"tiny-imagenet:{replica}", cache_dir=tmp_path / "c2")
    for split in ("train", "val", "test"):
        a, b = getattr(from_tar, split), getattr(from_dir, split)
        assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


def test_unknown_val_class_is_a_clear_error(replica: Path, tmp_path: Path) -> None:
    ann = replica / "val/val_annotations.txt"
    lines = ann.read_text().splitlines()
    lines[1] = "val_1.JPEG\tn99999999\t0\t0\t63\t63"
    ann.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=r"line 2: class 'n99999999' is not in wnids.txt"):
        load_tiny_imagenet(replica, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*/meta.json"))


def test_wrong_image_size_names_the_file(replica: Path, tmp_path: Path) -> None:
    Image.new("RGB", (32, 32)).save(replica / "val/images/val_2.JPEG", format="JPEG")
    with pytest.raises(InputFileError, match=r"val_2.JPEG: image is 32x32, expected 64x64"):
        load_tiny_imagenet(replica, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*/meta.json"))


def test_missing_and_wrong_folders(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        load_tiny_imagenet(tmp_path / "nowhere", cache_dir=tmp_path / "cache")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"expected wnids\.txt"):
        load_tiny_imagenet(tmp_path / "empty", cache_dir=tmp_path / "cache")
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("other/readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(InputFileError, match="archive has no tiny-imagenet-200/ folder"):
        load_tiny_imagenet(bad, cache_dir=tmp_path / "cache")


@pytest.mark.skipif(not SUBSET_TAR.is_file(), reason="shared Tiny ImageNet subset not present")
def test_real_ten_class_subset(tmp_path: Path) -> None:
    ds = load_tiny_imagenet(SUBSET_TAR, cache_dir=tmp_path / "cache")
    assert ds.num_classes == 10 and len(ds.train) == 5000 and len(ds.val) == 500
    assert ds.test is not None and len(ds.test) == 200
    assert torch.bincount(ds.train.labels).tolist() == [500] * 10
    assert torch.bincount(ds.val.labels).tolist() == [50] * 10
    with tarfile.open(SUBSET_TAR) as tar:
        wnids = tar.extractfile("tiny-imagenet-200/wnids.txt").read().decode().split()
        first = tar.extractfile(f"tiny-imagenet-200/train/{wnids[0]}/images/{wnids[0]}_0.JPEG")
        with Image.open(io.BytesIO(first.read())) as image:
            expected = torch.from_numpy(np.asarray(image.convert("RGB")).transpose(2, 0, 1).copy())
    assert ds.classes == tuple(wnids)
    assert torch.equal(ds.train.images[0], expected)
    gray = (ds.train.images[:, 0] == ds.train.images[:, 1]).flatten(1).all(1)
    gray &= (ds.train.images[:, 1] == ds.train.images[:, 2]).flatten(1).all(1)
    assert 0 < int(gray.sum()) < 500  # some, but few, grayscale images
