"""A second SIGINT during a checkpoint write, and a full disk (issue 13, items 7 and 8): the run
files stay whole and the run resumes to what an uninterrupted one gives."""

from __future__ import annotations

import errno
import os

import pytest
import torch
from search_runs import EXPERIMENT, QUIET, finished_run, ledger

import graphnas.search.ledger as ledger_module
from graphnas.cli import main
from graphnas.config import load_search_config
from graphnas.search import build_search, load_checkpoint, resume_search, run_loop

ARGS = ["strategy=random", "budget.queries=8", "seed=0", *QUIET]


def without_timings(lines: list[dict]) -> list[dict]:
    return [{k: v for k, v in line.items() if k != "elapsed_s"} for line in lines]


def test_a_second_sigint_during_the_checkpoint_write_leaves_a_whole_checkpoint(
    tmp_path, monkeypatch
) -> None:
    reference = finished_run(tmp_path, name="reference")
    out = tmp_path / "run"
    loop = build_search(load_search_config(EXPERIMENT, [f"out={out}", *ARGS]))
    real_save, tell, told = torch.save, loop.strategy.tell, []

    def save_interrupted(*args, **kwargs):
        loop.request_stop("SIGINT")  # the second Ctrl-C arrives mid-write
        return real_save(*args, **kwargs)

    def tell_then_interrupt(archs, results, hashes=None) -> None:
        tell(archs, results, hashes)
        told.append(archs)
        if len(told) == 3:
            loop.request_stop("SIGINT")  # the first Ctrl-C: stop at this step's end
            monkeypatch.setattr(torch, "save", save_interrupted)

    loop.strategy.tell = tell_then_interrupt
    with pytest.raises(KeyboardInterrupt):  # the CLI turns it into exit status 130
        run_loop(loop)
    monkeypatch.setattr(torch, "save", real_save)
    state = load_checkpoint(out / "checkpoint.pt")  # whole, not torn by the second signal
    assert state["stopped"] == "interrupted by SIGINT" and state["counters"]["queries"] == 3
    assert not list(out.glob(".checkpoint.pt.*.tmp"))
    assert run_loop(resume_search(out))["queries"] == 8
    assert without_timings(ledger(out)) == without_timings(ledger(reference))


class FullDisk:
    """`os` for the ledger writer, whose `n`-th write stops half-way with ENOSPC."""

    def __init__(self, n: int) -> None:
        self.n, self.writes = n, 0

    def __getattr__(self, name: str):
        return getattr(os, name)

    def write(self, fd: int, data) -> int:
        self.writes += 1
        if self.writes == self.n:
            os.write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)


def test_a_full_disk_is_one_line_and_leaves_a_ledger_of_whole_lines(
    tmp_path, monkeypatch, capsys
) -> None:
    reference = finished_run(tmp_path, name="reference")
    out = tmp_path / "run"
    monkeypatch.setattr(ledger_module, "os", FullDisk(5))
    capsys.readouterr()
    status = main(["search", "--config", str(EXPERIMENT), f"out={out}", *ARGS])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "No space left on device" in err[0], err
    data = (out / "ledger.jsonl").read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 4  # the torn line was cut back
    monkeypatch.undo()
    assert main(["search", "--resume", str(out)]) == 0
    assert without_timings(ledger(out)) == without_timings(ledger(reference))
