"""A comparison's plan: its runs (one search config per strategy x seed) and plan.json in OUT.

plan.json records what the comparison is (the base config's identity, the strategy labels, the
seeds and the tracking group), so that `--resume` continues exactly that comparison and refuses
any other in one line. Each run is an ordinary search in OUT/runs/<label>-seed<seed>/, quiet,
tracked (if the base config tracks) under the comparison's wandb group.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from graphnas.compare.specs import StrategySpec, merged
from graphnas.config import ComponentConfig, SearchConfig
from graphnas.errors import ConfigError, InputFileError
from graphnas.runfiles import CONFIG_FILE, SUMMARY_FILE, json_safe, write_json_atomic
from graphnas.search.runconfig import changed_keys, config_identity

PLAN_FILE = "plan.json"
RunStart = Literal["new", "resume", "finished"]


@dataclass(frozen=True)
class RunTask:
    """One run to execute: `index` orders the records; `config.out` is its run directory."""

    index: int
    label: str
    seed: int
    config: SearchConfig
    metric: str | None

    @property
    def folder(self) -> Path:
        return Path(str(self.config.out))


@dataclass(frozen=True)
class ComparePlan:
    """The strategies x seeds of one comparison on `base`, written to / checked against OUT."""

    base: SearchConfig
    specs: tuple[StrategySpec, ...]
    seeds: tuple[int, ...]
    group: str

    @classmethod
    def new(cls, base: SearchConfig, specs: Sequence[StrategySpec], seeds: Sequence[int]):
        group = f"compare-{_slug(base.name)}-{secrets.token_hex(3)}"
        return cls(base, tuple(specs), tuple(seeds), group)

    def tasks(self, out: Path, metric: str | None) -> list[RunTask]:
        pairs = [(spec, seed) for spec in self.specs for seed in self.seeds]
        return [
            RunTask(i, spec.label, seed, run_config(self.base, spec, seed, out, self.group), metric)
            for i, (spec, seed) in enumerate(pairs)
        ]

    def identity(self) -> dict[str, Any]:
        return json_safe(
            {
                "strategies": [
                    {"label": s.label, "name": s.name, "params": s.params} for s in self.specs
                ],
                "seeds": list(self.seeds),
                "config": config_identity(self.base),
            }
        )

    def write(self, out: Path) -> None:
        write_json_atomic(out / PLAN_FILE, {**self.identity(), "group": self.group})

    def resumed(self, out: Path) -> ComparePlan:
        """This plan with the group of the comparison in `out`, which must be this one."""
        path = out / PLAN_FILE
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(f"--resume: {out} holds no comparison ({PLAN_FILE})") from None
        except (OSError, ValueError) as exc:
            raise InputFileError(f"{path}: cannot read ({exc})") from None
        if not isinstance(saved, dict) or not isinstance(saved.get("group"), str):
            raise InputFileError(f"{path}: not a comparison plan")
        mine = self.identity()
        changed = changed_keys({k: saved.get(k) for k in mine}, mine)
        if changed:
            raise ConfigError(
                f"--resume: {out} holds another comparison ({', '.join(changed[:5])} differ); "
                "give the same config, overrides, --strategies and --seeds"
            )
        return replace(self, group=saved["group"])


def run_config(
    base: SearchConfig, spec: StrategySpec, seed: int, out: Path, group: str | None = None
) -> SearchConfig:
    """The search config of one (strategy, seed) run: quiet, in its own folder, tracked (if the
    base config tracks) in the comparison's group."""
    params = strategy_params(base, spec)
    return replace(
        base,
        strategy=ComponentConfig(spec.name, params),
        seed=seed,
        out=str(run_folder(out, spec.label, seed)),
        progress=False,
        tracking=replace(base.tracking, group=group),
    )


def run_folder(out: Path, label: str, seed: int) -> Path:
    """The run directory of one (strategy label, seed) run of the comparison in `out`."""
    return out / "runs" / f"{_slug(label)}-seed{seed}"


def strategy_params(base: SearchConfig, spec: StrategySpec) -> dict[str, Any]:
    """The spec's params over the config's own when it names the config's strategy."""
    own = dict(base.strategy.params) if spec.name == base.strategy.name else {}
    return merged(own, spec.params)


def run_start(folder: Path) -> RunStart:
    """How a (resumed) comparison continues the run in `folder`: start it, resume it (it was
    interrupted or killed), or read it (it ran to its end)."""
    from graphnas.compare.records import interrupted, read_summary

    if not (folder / CONFIG_FILE).exists():
        return "new"  # never got past its build: nothing of it was written
    summary = read_summary(folder / SUMMARY_FILE)
    if summary and not interrupted(summary):
        return "finished"
    return "resume"


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")
