"""Read a dataset's files from a directory or straight from a .tar/.tar.gz/.zip archive.

A source lists relative POSIX paths and reads their bytes, so loaders never care whether the user
extracted the archive. `fingerprint()` changes whenever the underlying files change; tensor caches
are keyed on it.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from graphnas.errors import InputFileError

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip")


class FileSource(Protocol):
    """Files of one dataset tree, addressed by relative POSIX path from the tree's top folder."""

    location: str

    def names(self) -> list[str]: ...

    def read_bytes(self, name: str) -> bytes: ...

    def fingerprint(self) -> str: ...

    def close(self) -> None: ...


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


class DirectorySource:
    """Files under `root`; the fingerprint covers every file's path, size and mtime."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            found = []
            for folder, _dirs, files in os.walk(self.root):
                rel = Path(folder).relative_to(self.root)
                found.extend((rel / f).as_posix() for f in files)
            self._names = sorted(found)
        return self._names

    def read_bytes(self, name: str) -> bytes:
        try:
            return (self.root / name).read_bytes()
        except OSError as err:
            raise InputFileError(f"{self.root / name}: cannot read ({err.strerror})") from None

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in self.names():
            st = (self.root / name).stat()
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def close(self) -> None:
        """Nothing to release: files are opened per read."""


class ArchiveSource:
    """Files inside a tar or zip archive below the folder `prefix` (e.g. "tiny-imagenet-200/").

    Members are read lazily; tar members are indexed once so random access stays cheap.
    """

    def __init__(self, archive: Path, prefix: str) -> None:
        self.archive = archive
        self.prefix = prefix
        self.location = f"{archive}!{prefix}"
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, zipfile.ZipInfo | tarfile.TarInfo] = {}
        try:
            if archive.name.lower().endswith(".zip"):
                self._zip = zipfile.ZipFile(archive)
                for info in self._zip.infolist():
                    if not info.is_dir() and info.filename.startswith(prefix):
                        self._members[info.filename[len(prefix) :]] = info
            else:
                self._tar = tarfile.open(archive)  # noqa: SIM115 (kept open for random access)
                for member in self._tar.getmembers():
                    if member.isfile() and member.name.startswith(prefix):
                        self._members[member.name[len(prefix) :]] = member
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as err:
            raise InputFileError(f"{archive}: not a readable archive ({err})") from None

    def names(self) -> list[str]:
        return sorted(self._members)

    def read_bytes(self, name: str) -> bytes:
        member = self._members.get(name)
        if member is None:
            raise InputFileError(f"{self.archive}: missing member {self.prefix}{name}")
        if self._zip is not None:
            return self._zip.read(member)  # type: ignore[arg-type]
        assert self._tar is not None
        handle = self._tar.extractfile(member)  # type: ignore[arg-type]
        if handle is None:
            raise InputFileError(f"{self.archive}: cannot read member {self.prefix}{name}")
        return handle.read()

    def fingerprint(self) -> str:
        st = self.archive.stat()
        key = f"{self.archive.resolve()}\0{self.prefix}\0{st.st_size}\0{st.st_mtime_ns}"
        return hashlib.sha256(key.encode()).hexdigest()

    def close(self) -> None:
        for handle in (self._zip, self._tar):
            if handle is not None:
                handle.close()


def archive_top_folders(archive: Path) -> Iterator[str]:
    """First path components of the members of a tar or zip archive (for locating a dataset)."""
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                names = zf.namelist()
        else:
            with tarfile.open(archive) as tf:
                names = tf.getnames()
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as err:
        raise InputFileError(f"{archive}: not a readable archive ({err})") from None
    seen: set[str] = set()
    for name in names:
        top = name.lstrip("./").split("/", 1)[0]
        if top and top not in seen:
            seen.add(top)
            yield top


def open_dataset_tree(path: Path, folder: str, marker: str, dataset: str) -> FileSource:
    """Locate the dataset folder `folder` (identified by the file `marker` inside it).

    `path` may be the folder itself, its parent, or an archive containing the folder.
    """
    try:
        exists = path.exists()
    except OSError as err:  # e.g. a name too long for the file system
        raise InputFileError(f"{path}: {dataset} data not found ({err.strerror})") from None
    if not exists:
        raise InputFileError(f"{path}: {dataset} data not found (no such file or directory)")
    if is_archive(path):
        tops = list(archive_top_folders(path))
        if folder not in tops:
            raise InputFileError(
                f"{path}: archive has no {folder}/ folder "
                f"(top-level entries: {', '.join(tops[:5])})"
            )
        source = ArchiveSource(path, folder + "/")
        if marker not in source.names():
            raise InputFileError(f"{path}: archive has no {folder}/{marker}")
        return source
    for candidate in (path, path / folder):
        if (candidate / marker).is_file():
            return DirectorySource(candidate)
    raise InputFileError(
        f"{path}: not a {dataset} folder (expected {marker} in it or in {folder}/ below it)"
    )
