"""Download the official Tiny ImageNet archive with an MD5 check, then extract it safely.

The archive streams to `<root>/tiny-imagenet-200.zip.part` while its MD5 is computed; only a
matching archive is renamed into place, and extraction goes to a temporary folder that is renamed
to `<root>/tiny-imagenet-200` at the end. A failure at any point leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from graphnas.errors import GraphnasError

TINY_IMAGENET_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
TINY_IMAGENET_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
TINY_IMAGENET_FOLDER = "tiny-imagenet-200"
CHUNK_BYTES = 1 << 20


class DownloadError(GraphnasError):
    """A download failed, or its checksum does not match."""


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: Path, md5: str, progress: bool = False, timeout: float = 60.0) -> Path:
    """Stream `url` to `dest`, verifying its MD5; a mismatch or error leaves `dest` untouched."""
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    bar = None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            if progress:
                from tqdm.auto import tqdm

                total = int(response.headers.get("Content-Length") or 0) or None
                bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name)
            for block in iter(lambda: response.read(CHUNK_BYTES), b""):
                digest.update(block)
                out.write(block)
                if bar is not None:
                    bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
    except (urllib.error.URLError, OSError, ValueError) as err:
        part.unlink(missing_ok=True)
        reason = getattr(err, "reason", None) or err
        raise DownloadError(f"{url}: download failed ({reason})") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    if digest.hexdigest() != md5:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: checksum mismatch (MD5 {digest.hexdigest()}, expected {md5}); nothing was kept"
        )
    os.replace(part, dest)
    return dest


def extract_zip(archive: Path, folder: str, root: Path) -> Path:
    """Extract the member folder `folder/` of `archive` to `root/folder` atomically.

    Members outside `folder/`, absolute paths and `..` components are refused.
    """
    target = root / folder
    staging = Path(tempfile.mkdtemp(prefix=f".{folder}.", dir=root))
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = PurePosixPath(info.filename).parts
                if (
                    not parts
                    or info.filename.startswith("/")
                    or ".." in parts
                    or parts[0] != folder
                ):
                    raise DownloadError(
                        f"{archive}: unexpected member {info.filename!r} "
                        f"(everything must lie under {folder}/)"
                    )
            zf.extractall(staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging / folder, target)
    except zipfile.BadZipFile as err:
        raise DownloadError(f"{archive}: not a valid zip archive ({err})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def download_tiny_imagenet(
    root: str | Path,
    url: str = TINY_IMAGENET_URL,
    md5: str = TINY_IMAGENET_MD5,
    progress: bool = False,
    keep_archive: bool = True,
) -> Path:
    """Fetch and extract Tiny ImageNet under `root`; returns `root/tiny-imagenet-200`.

    An already extracted folder (with wnids.txt) is kept; an already downloaded archive with the
    right MD5 is reused instead of downloading again.
    """
    root = Path(root)
    target = root / TINY_IMAGENET_FOLDER
    if (target / "wnids.txt").is_file():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"{root}: cannot create the data folder ({err.strerror})") from None
    archive = root / "tiny-imagenet-200.zip"
    if not (archive.is_file() and file_md5(archive) == md5):
        fetch(url, archive, md5, progress=progress)
    extract_zip(archive, TINY_IMAGENET_FOLDER, root)
    if not keep_archive:
        archive.unlink()
    return target
