"""Tiny ImageNet download from a loopback HTTP server: MD5 check, extraction, clean failures."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphnas.data.download import DownloadError, download_tiny_imagenet
from graphnas.data.replica import write_tiny_imagenet_replica
from graphnas.data.tiny_imagenet import load_tiny_imagenet


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder) of an HTTP server on 127.0.0.1 serving the files of `folder`."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def _zip_replica(tmp_path: Path, dest: Path) -> str:
    replica = write_tiny_imagenet_replica(
        tmp_path / "src", num_classes=2, train_per_class=3, val_per_class=1, test_images=1
    )
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(replica.rglob("*")):
            zf.write(path, path.relative_to(replica.parent).as_posix())
    return hashlib.md5(dest.read_bytes()).hexdigest()


def test_download_verifies_and_extracts(served: tuple[str, Path], tmp_path: Path) -> None:
    url, www = served
    md5 = _zip_replica(tmp_path, www / "tiny-imagenet-200.zip")
    root = tmp_path / "data"
    folder = download_tiny_imagenet(root, url=f"{url}/tiny-imagenet-200.zip", md5=md5)
    assert folder == root / "tiny-imagenet-200" and (folder / "wnids.txt").is_file()
    assert sorted(p.name for p in root.iterdir()) == ["tiny-imagenet-200", "tiny-imagenet-200.zip"]
    ds = load_tiny_imagenet(folder, cache_dir=tmp_path / "cache")
    assert ds.num_classes == 2 and len(ds.train) == 6 and len(ds.val) == 2
    # A second call finds the extracted folder and does not download again.
    (www / "tiny-imagenet-200.zip").unlink()
    assert download_tiny_imagenet(root, url=f"{url}/tiny-imagenet-200.zip", md5=md5) == folder


def test_checksum_mismatch_leaves_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    url, www = served
    _zip_replica(tmp_path, www / "tiny-imagenet-200.zip")
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match=r"checksum mismatch \(MD5 [0-9a-f]{32}, expected 0+\)"):
        download_tiny_imagenet(root, url=f"{url}/tiny-imagenet-200.zip", md5="0" * 32)
    assert list(root.iterdir()) == []


def test_http_error_and_unsafe_archive(served: tuple[str, Path], tmp_path: Path) -> None:
    url, www = served
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match="download failed"):
        download_tiny_imagenet(root, url=f"{url}/missing.zip", md5="0" * 32)
    assert list(root.iterdir()) == []
    evil = www / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("tiny-imagenet-200/wnids.txt", "n1\n")
        zf.writestr("tiny-imagenet-200/../../escape.txt", "x")
    md5 = hashlib.md5(evil.read_bytes()).hexdigest()
    with pytest.raises(DownloadError, match="unexpected member"):
        download_tiny_imagenet(root, url=f"{url}/evil.zip", md5=md5, keep_archive=False)
    assert not (root / "tiny-imagenet-200").exists() and not (tmp_path / "escape.txt").exists()
    assert [p.name for p in root.iterdir()] == ["tiny-imagenet-200.zip"]  # verified archive kept
