"""Experiment tracking: a small Tracker protocol with stdout and Weights & Biases backends.

The search loop reports scalars per step (`log`), the best architecture when it changes
(`log_best`, optional), and a final summary (`finish`); exports and the end of a search also log
pictures, tables and files through trackers that are `MediaTracker`s. wandb is imported only here,
and only when a wandb tracker is built. Its mode comes from the tracker's `mode` option, else the
WANDB_MODE environment variable, else "offline" (nothing leaves the machine unless asked); its own
console lines are off unless WANDB_SILENT=false asks for them. A wandb tracker records its run id
in `RUN_FILE` inside its run directory, so a later `graphnas export --wandb` attaches to that run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, TextIO, runtime_checkable

from graphnas.errors import ConfigError
from graphnas.registry import Registry

TRACKERS: Registry = Registry("tracker")
WANDB_MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")
RUN_FILE = "wandb-run.json"
# Draws one architecture (its JSON dict, as in the ledger) as PNG bytes; given by the search build.
ArchDrawer = Callable[[Mapping[str, Any]], bytes]

Names = Sequence[str]  # a table's column names
Rows = Sequence[Sequence[Any]]  # a table's rows, one value per column


@runtime_checkable
class Tracker(Protocol):
    """Receives scalar metrics per step and a final summary. A tracker may also define
    `log_best(best, step)` (the search's new best: arch dict, code, hash, reward, metrics, query);
    `TrackerGroup.log_best` calls it where it exists."""

    def log(self, metrics: Mapping[str, float], step: int) -> None: ...

    def finish(self, summary: Mapping[str, Any]) -> None: ...


@runtime_checkable
class MediaTracker(Protocol):
    """A tracker that also takes pictures, tables and files (exports and galleries use it)."""

    def log_images(self, images: Mapping[str, str | Path], step: int | None = None) -> None: ...

    def log_table(
        self, key: str, columns: Names, rows: Rows, image_columns: Names = ()
    ) -> None: ...

    def log_artifact(self, name: str, kind: str, paths: Sequence[str | Path]) -> None: ...


@TRACKERS.register("stdout")
class StdoutTracker:
    """Prints one line every `every` steps, and the final best result."""

    context_fields: ClassVar[tuple[str, ...]] = ("every",)

    def __init__(self, every: int = 10, stream: TextIO | None = None) -> None:
        self.every = max(1, int(every))
        self.stream = stream

    def _write(self, line: str) -> None:
        # tqdm.write keeps an active progress bar intact.
        from tqdm import tqdm

        tqdm.write(line, file=self.stream or sys.stdout)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        if step % self.every:
            return
        fields = "  ".join(f"{key} {_fmt(value)}" for key, value in metrics.items())
        self._write(f"step {step:>6}  {fields}")

    def finish(self, summary: Mapping[str, Any]) -> None:
        best = summary.get("best") or {}
        self._write(
            f"done: {summary.get('queries', 0)} queries, best reward {_fmt(best.get('reward'))}"
        )


@TRACKERS.register("wandb")
class WandbTracker:
    """Logs to Weights & Biases; offline unless `mode` or WANDB_MODE says otherwise.

    `group` ties runs together (every run of one `graphnas compare`). `attach_to` is a run id to
    continue (an export attaching to its search's run); otherwise the new run's id is written to
    `run_dir/RUN_FILE` when `record_run` is set. `draw_arch` renders the best architecture for
    `log_best`; without it the best is logged as its code only.
    """

    context_fields: ClassVar[tuple[str, ...]] = (
        "run_dir",
        "config",
        "project",
        "name",
        "mode",
        "group",
        "attach_to",
        "record_run",
        "draw_arch",
    )

    def __init__(
        self,
        run_dir: str | Path,
        config: Mapping[str, Any] | None = None,
        project: str = "graphnas",
        name: str | None = None,
        mode: str | None = None,
        tags: Sequence[str] = (),
        *,
        group: str | None = None,
        attach_to: str | None = None,
        record_run: bool = True,
        draw_arch: ArchDrawer | None = None,
    ) -> None:
        self.mode = wandb_mode(mode)
        self.run_dir = Path(run_dir)
        self.draw_arch = draw_arch
        try:
            import wandb
        except ImportError:
            raise ConfigError(
                "tracking backend 'wandb' needs the wandb package (pip install wandb)"
            ) from None
        self._run = wandb.init(
            project=project,
            name=name,
            dir=str(self.run_dir),
            config=dict(config or {}),
            mode=self.mode,
            tags=list(tags),
            group=group,
            id=attach_to,
            resume="allow" if attach_to else None,
            reinit="create_new",
            settings=wandb.Settings(silent=_wandb_silent()),
        )
        if record_run and attach_to is None:
            record = {"id": self._run.id, "project": project, "group": group, "mode": self.mode}
            (self.run_dir / RUN_FILE).write_text(json.dumps(record) + "\n", encoding="utf-8")

    def log_best(self, best: Mapping[str, Any], step: int) -> None:
        """The new best architecture: its drawing (when a drawer was given) and its numbers."""
        import wandb

        caption = f"{best.get('code')}  reward {_fmt(best.get('reward'))}"
        logged: dict[str, Any] = {"best/query": best.get("query")}
        if self.draw_arch is not None:
            folder = self.run_dir / "media"
            folder.mkdir(exist_ok=True)
            picture = folder / f"best-query{best.get('query')}.png"
            picture.write_bytes(self.draw_arch(best["arch"]))
            logged["best/cell"] = wandb.Image(str(picture), caption=caption)
        else:
            logged["best/cell"] = wandb.Html(f"<pre>{_html_escape(caption)}</pre>")
        self._run.log(logged, step=step)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        self._run.log(dict(metrics), step=step)

    def log_images(self, images: Mapping[str, str | Path], step: int | None = None) -> None:
        """Picture files (PNG, JPEG) logged as wandb images under their keys."""
        import wandb

        self._run.log({key: wandb.Image(str(path)) for key, path in images.items()}, step=step)

    def log_table(self, key: str, columns: Names, rows: Rows, image_columns: Names = ()) -> None:
        """A wandb table; cells of `image_columns` are picture file paths shown as images."""
        import wandb

        pictures = {columns.index(name) for name in image_columns}
        data = [
            [wandb.Image(str(v)) if i in pictures else v for i, v in enumerate(row)] for row in rows
        ]
        self._run.log({key: wandb.Table(columns=list(columns), data=data)})

    def log_artifact(self, name: str, kind: str, paths: Sequence[str | Path]) -> None:
        """Files saved as one wandb artifact (a versioned bundle attached to the run)."""
        import wandb

        artifact = wandb.Artifact(name, type=kind)
        for path in paths:
            artifact.add_file(str(path))
        self._run.log_artifact(artifact)

    def finish(self, summary: Mapping[str, Any]) -> None:
        best = summary.get("best") or {}
        for key in ("queries", "wall_s"):
            if key in summary:
                self._run.summary[key] = summary[key]
        if best:
            self._run.summary["best_reward"] = best.get("reward")
            self._run.summary["best_hash"] = best.get("hash")
            for key, value in (best.get("metrics") or {}).items():
                if isinstance(value, (int, float)):
                    self._run.summary[f"best_{key}"] = value
        self._run.finish()


def wandb_mode(explicit: str | None = None) -> str:
    """The wandb mode: the explicit option, else WANDB_MODE, else "offline". A bad value is a
    ConfigError naming where it came from (the option or the environment variable)."""
    if explicit:
        mode, source = explicit, "tracking.wandb_mode"
    else:
        mode, source = os.environ.get("WANDB_MODE") or "offline", "WANDB_MODE environment variable"
    if mode not in WANDB_MODES:
        raise ConfigError(f"{source}: {mode!r} is not one of online, offline, disabled")
    return mode


def check_tracking(backends: Sequence[str], mode: str | None = None) -> None:
    """Refuse unknown backend names and a bad wandb mode before anything is started or written."""
    for name in backends:
        TRACKERS.get(name)
    if any(TRACKERS.get(name) is WandbTracker for name in backends):
        wandb_mode(mode)


def recorded_run(run_dir: str | Path) -> dict[str, Any] | None:
    """The wandb run a search in `run_dir` logged to ({"id", "project", ...}), or None."""
    path = Path(run_dir) / RUN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("id"), str) else None


def _wandb_silent() -> bool:
    """wandb's own console lines stay off unless WANDB_SILENT is set to a false value."""
    return os.environ.get("WANDB_SILENT", "true").strip().lower() not in ("false", "0", "no")


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TrackerGroup:
    """Fans every call out to several trackers."""

    def __init__(self, trackers: Sequence[Tracker]) -> None:
        self.trackers = list(trackers)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        for tracker in self.trackers:
            tracker.log(metrics, step)

    def log_best(self, best: Mapping[str, Any], step: int) -> None:
        for tracker in self.trackers:
            log_best = getattr(tracker, "log_best", None)
            if callable(log_best):
                log_best(best, step)

    def _media(self) -> list[MediaTracker]:
        """The trackers that take pictures, tables and files."""
        return [tracker for tracker in self.trackers if isinstance(tracker, MediaTracker)]

    def log_images(self, images: Mapping[str, str | Path], step: int | None = None) -> None:
        for tracker in self._media():
            tracker.log_images(images, step)

    def log_table(self, key: str, columns: Names, rows: Rows, image_columns: Names = ()) -> None:
        for tracker in self._media():
            tracker.log_table(key, columns, rows, image_columns)

    def log_artifact(self, name: str, kind: str, paths: Sequence[str | Path]) -> None:
        for tracker in self._media():
            tracker.log_artifact(name, kind, paths)

    def finish(self, summary: Mapping[str, Any]) -> None:
        for tracker in self.trackers:
            tracker.finish(summary)


def build_trackers(
    backends: Sequence[str], options: Mapping[str, Mapping[str, Any]] | None = None, **context: Any
) -> TrackerGroup:
    """Build the named trackers. `options[name]` are that tracker's own options; `context`
    (run_dir, config, project, name, ...) is passed where a tracker accepts it, unless the
    tracker's own options set the same key."""
    options = options or {}
    trackers = []
    for name in backends:
        own = dict(options.get(name) or {})
        shared = {key: value for key, value in context.items() if key not in own}
        trackers.append(TRACKERS.build(name, own, shared))
    return TrackerGroup(trackers)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
