"""Paths built from input (arch names, hashes, file names in configs) that stay inside a folder.

Writers that put files under a run directory (graphs/, plots/, exports) join names that come from
user input or from files read back; `safe_join` refuses any name that would land outside the
folder (absolute paths, `..`, drive letters, NUL bytes, symlinks pointing out), and `safe_filename`
turns an arbitrary label into one harmless path component.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from graphnas.errors import InputFileError

MAX_COMPONENT = 120  # characters kept by safe_filename (most file systems allow 255 bytes)
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._+=-]+")


class UnsafePathError(InputFileError):
    """A name taken from input would escape the folder it is written into."""


def safe_join(root: str | Path, *parts: str) -> Path:
    """`root/part/...`, guaranteed to lie inside `root` (symlinks resolved); else UnsafePathError.

    Each part may hold several '/'-separated components ("graphs/best.svg") but no '..', no
    absolute path, no drive or UNC prefix, no backslash and no NUL byte.
    """
    root = Path(root)
    for part in parts:
        problem = _part_problem(part)
        if problem:
            raise UnsafePathError(f"{_show(part)}: {problem}; refusing to write outside {root}")
    target = root.joinpath(*parts)
    base = root.resolve()
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePathError(
            f"{_show('/'.join(parts))}: resolves to {resolved}, outside {root}; refusing to write"
        )
    return target


def safe_filename(label: str, suffix: str = "", fallback: str = "unnamed") -> str:
    """One harmless file name from any label: runs of characters outside [A-Za-z0-9._+=-] become
    '_', the stem is cut to MAX_COMPONENT characters and loses leading/trailing dots and
    underscores (so never '.', '..' or a hidden file); `suffix` is appended."""
    stem = _UNSAFE_CHARS.sub("_", str(label))[:MAX_COMPONENT].strip("._") or fallback
    return stem + suffix


def _part_problem(part: str) -> str | None:
    if not isinstance(part, str):
        return f"a path component must be a string, got {type(part).__name__}"
    if not part:
        return "empty path component"
    if "\x00" in part:
        return "NUL byte in a path"
    if "\\" in part:
        return "backslash in a path"
    if PurePosixPath(part).is_absolute() or PureWindowsPath(part).drive:
        return "absolute path"
    if any(piece == ".." for piece in part.split("/")):
        return "'..' in a path"
    return None


def _show(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."
