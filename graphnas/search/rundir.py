"""The run directory of a search and its lock.

config.yaml, ledger.jsonl (append-only, `graphnas.search.ledger`), checkpoint.pt
(`graphnas.search.checkpoint`), summary.json. While a search or a resume uses a run directory it
holds an exclusive lock on it (`RunLock`, POSIX flock on .graphnas.lock holding the pid): taking
it is the first thing either does, and nothing in the directory is written or deleted before it
is held, so a second process is refused without touching the first one's files.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from graphnas.errors import ConfigError, InputFileError
from graphnas.paths import safe_filename, safe_join
from graphnas.runfiles import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    LEDGER_FILE,
    LOCK_FILE,
    SUMMARY_FILE,
    read_jsonl,
    write_json_atomic,
)
from graphnas.search.ledger import LedgerWriter

try:
    import fcntl
except ImportError:  # not POSIX: no locking
    fcntl = None  # type: ignore[assignment]


class RunLock:
    """The exclusive hold of one process on a run directory; `release` gives it up (the lock
    file is removed then; a kill leaves the file, but not the lock, behind)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._handle: IO[str] | None = None
        if fcntl is None:
            return
        while True:
            handle = self.path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                handle.close()
                raise InputFileError(
                    f"{folder}: in use by another graphnas process (pid {holder})"
                ) from None
            # The holder before us may have removed the file after we opened it: lock the file
            # that is at `path` now.
            if self.path.exists() and os.path.samestat(os.fstat(handle.fileno()), self.path.stat()):
                break
            handle.close()
        self._handle = handle
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()

    @property
    def held(self) -> bool:
        return self._handle is not None or fcntl is None

    def release(self) -> None:
        if self._handle is None:
            return
        self.path.unlink(missing_ok=True)
        self._handle.close()
        self._handle = None


class RunDir:
    """Paths and writers of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / CONFIG_FILE
        self.ledger = self.path / LEDGER_FILE
        self.summary = self.path / SUMMARY_FILE
        self.checkpoint = self.path / CHECKPOINT_FILE

    @classmethod
    def create(cls, path: str | Path) -> RunDir:
        """A new run directory; refuses one that already holds a run (nothing is overwritten)."""
        run = cls(path)
        run._refuse_a_run()
        run.path.mkdir(parents=True, exist_ok=True)
        return run

    @classmethod
    def claim(cls, path: str | Path) -> tuple[RunDir, RunLock]:
        """A new run directory, locked: it is created if need be, locked, and only then checked
        to hold no run, so that of two searches started together on one path exactly one gets
        it and the other writes nothing."""
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise ConfigError(f"out: {run.path} exists and is not a directory")
        try:
            run.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"out: cannot create {run.path}: {exc.strerror or exc}") from None
        lock = RunLock(run.path)
        try:
            run._refuse_a_run()
        except BaseException:
            lock.release()
            raise
        return run, lock

    def _refuse_a_run(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"out: {self.path} exists and is not a directory")
        if any(p.exists() for p in (self.config, self.ledger, self.summary, self.checkpoint)):
            raise ConfigError(
                f"out: {self.path} already holds a run; choose another out=... directory "
                f"(or continue it with graphnas search --resume {self.path})"
            )

    @staticmethod
    def default_path(name: str, seed: int, root: str | Path = "runs") -> Path:
        """runs/<name>-seed<seed>-<YYYYmmdd-HHMMSS>, with a numeric suffix if that exists.

        The config's `name` becomes one safe file name, so it cannot place the run outside root.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = safe_join(root, safe_filename(f"{name}-seed{seed}-{stamp}"))
        candidate, k = base, 1
        while candidate.exists():
            k += 1
            candidate = base.with_name(f"{base.name}-{k}")
        return candidate

    def lock(self) -> RunLock:
        """Hold this run directory (InputFileError naming the holder's pid if another has it)."""
        return RunLock(self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this run directory for the duration of the block."""
        lock = self.lock()
        try:
            yield
        finally:
            lock.release()

    def open_ledger(self, valid_bytes: int | None = None) -> LedgerWriter:
        """The ledger for appending; `valid_bytes` first cuts off anything after that length
        (the torn last line of a killed run)."""
        return LedgerWriter(self.ledger, valid_bytes)

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        write_json_atomic(self.summary, summary)

    def read_ledger(self) -> Iterator[dict[str, Any]]:
        """The ledger's entries in order (a torn last line from a crash is skipped)."""
        yield from read_jsonl(self.ledger)
