"""Building a search from its config, resuming one from its run directory, and running it.

The order is what makes refusals write nothing:
- a new search builds every component first (space, evaluator in its pool, strategy: any
  problem is refused before the run directory exists), then claims the run directory (created,
  locked, and only then checked to hold no run), then writes config.yaml and starts the trackers;
- a resume locks the run directory before it reads anything else, checks config.yaml against
  the checkpoint's config identity and the ledger's digest chain, builds the components, restores
  the loop, and leaves every write (stale temp files removed, a changed config.yaml, trackers,
  the ledger's torn tail cut) to the moment the replay of the ledger is over.
A stateful evaluator (a supernet training its shared weights) is checkpointed with the search
after every step, and on resume the ledger lines after the checkpoint are cut and evaluated
again rather than replayed, so its state sees exactly the evaluations of an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graphnas.config import SearchConfig, as_dict, dump_config, load_search_config, resolve_device
from graphnas.errors import ConfigError, InputFileError
from graphnas.evaluators import POOLS
from graphnas.evaluators.base import is_stateful
from graphnas.evaluators.pool import EvalPool
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.graph import ArchGraph
from graphnas.plugins import load_plugins
from graphnas.registry import context_fields
from graphnas.search.checkpoint import load_checkpoint, remove_stale_temp_files
from graphnas.search.ledger import chain_start, read_ledger
from graphnas.search.loop import SearchLoop
from graphnas.search.runconfig import RESUMABLE_KEYS, changed_keys, config_identity
from graphnas.search.rundir import RunDir, RunLock
from graphnas.search.signals import stop_on_signals
from graphnas.seeding import component_seed
from graphnas.spaces import SearchSpace, load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.base import Strategy
from graphnas.strategies.cost_aware import apply_cost_settings
from graphnas.tracking import Tracker, build_trackers, check_tracking


@dataclass
class _Components:
    space: SearchSpace
    strategy: Strategy
    pool: EvalPool
    evaluator: Any
    device: Any


def build_search(config: SearchConfig, *, out: str | Path | None = None) -> SearchLoop:
    """Build every component named in `config`, then claim the run directory (locked until the
    loop's run ends), write config.yaml and start the trackers."""
    config.check()
    components = _build_components(config)
    lock: RunLock | None = None
    try:
        run_path = Path(out or config.out or RunDir.default_path(config.name, config.seed))
        run_dir, lock = RunDir.claim(run_path)
        resolved = replace(config, out=str(run_path))
        dump_config(resolved, run_dir.config)
        loop = _make_loop(resolved, run_dir, components, _trackers(resolved, run_dir))
    except BaseException:
        if lock is not None:
            lock.release()
        components.pool.close()
        raise
    loop.lock = lock
    return loop


def resume_search(path: str | Path, overrides: Sequence[str] = ()) -> SearchLoop:
    """The loop of the run in `path`, restored to continue where it stopped or was killed.

    `overrides` may change only `RESUMABLE_KEYS` (budget, pool, eval_timeout_s, ...). The run
    directory is locked first; every file is checked before anything is written; a problem is a
    GraphnasError naming the file, and the directory is left as it was.
    """
    run_dir = RunDir(path)
    if not run_dir.path.is_dir():
        raise InputFileError(f"{run_dir.path}: no such run directory")
    lock = run_dir.lock()
    try:
        return _resume_locked(run_dir, lock, overrides)
    except BaseException:
        lock.release()
        raise


def _resume_locked(run_dir: RunDir, lock: RunLock, overrides: Sequence[str]) -> SearchLoop:
    if not run_dir.config.is_file():
        raise InputFileError(
            f"{run_dir.path}: not a graphnas run directory (no {run_dir.config.name}); "
            "start the search again with graphnas search --config FILE"
        )
    for item in overrides:
        key = item.partition("=")[0].strip()
        if key.split(".")[0] not in RESUMABLE_KEYS:
            raise ConfigError(
                f"override {item!r}: a resumed run keeps its config; only "
                f"{', '.join(k for k in RESUMABLE_KEYS if k != 'out')} may change"
            )
    saved = config_identity(load_search_config(run_dir.config))
    config = replace(load_search_config(run_dir.config, overrides), out=str(run_dir.path))
    state = None
    if run_dir.checkpoint.exists():
        state = load_checkpoint(run_dir.checkpoint)
        changed = changed_keys(state["config"], saved)
        if changed:
            raise InputFileError(
                f"{run_dir.config}: differs from the config {run_dir.checkpoint.name} was written "
                f"with ({', '.join(changed[:5])}); resume needs the original config"
            )
    entries, valid_bytes = read_ledger(run_dir.ledger, config.seed, chain_start(saved))
    components = _build_components(config)
    if is_stateful(components.evaluator):  # its state must see every evaluation: the lines
        kept = state["counters"]["queries"] if state else 0  # after the checkpoint are cut
        entries, valid_bytes = entries[:kept], _bytes_of_lines(run_dir.ledger, kept)
    try:
        loop = _make_loop(config, run_dir, components, None)
        loop.restore(state, entries, run_dir.checkpoint)
    except BaseException:
        components.pool.close()
        raise
    loop.lock = lock
    loop.valid_ledger_bytes = valid_bytes

    def start_writing() -> None:
        remove_stale_temp_files(run_dir.checkpoint)
        if overrides:
            dump_config(config, run_dir.config)
        loop.tracker = _trackers(config, run_dir)

    loop.before_writing.append(start_writing)
    return loop


def build_evaluator(config: SearchConfig) -> tuple[SearchSpace, Any, Any]:
    """(space, evaluator, device) of `config`, built exactly as a search builds them (plug-ins,
    seed, device), so that scoring one architecture gives what a search would record."""
    load_plugins(config.imports)
    device = resolve_device(config.device)
    space = load_space(config.space)
    recipe = _evaluator_recipe(config, space)
    return space, recipe.build(device, space=space), device


def _evaluator_recipe(config: SearchConfig, space: SearchSpace) -> EvaluatorRecipe:
    """The evaluator recipe of `config`: its own derived seed and the run's seed."""
    return EvaluatorRecipe.of(
        config.evaluator,
        space,
        seed=component_seed(config.seed, "evaluator"),
        run_seed=config.seed,
    )


def _bytes_of_lines(path: Path, lines: int) -> int:
    """The byte length of the first `lines` lines of `path`."""
    if lines == 0:
        return 0
    data = path.read_bytes()
    end = -1
    for _ in range(lines):
        end = data.index(b"\n", end + 1)
    return end + 1


def _build_components(config: SearchConfig) -> _Components:
    """Space, evaluator (inside its pool) and strategy of `config`, each seeded from config.seed.

    Writes nothing; the tracking settings are checked here too (nothing is started), so that
    every refusable config is refused before the run directory exists."""
    load_plugins(config.imports)
    check_tracking(config.tracking.backends, config.tracking.wandb_mode)
    device = resolve_device(config.device)
    space = load_space(config.space)
    recipe = _evaluator_recipe(config, space)
    evaluator = recipe.build(device, space=space)
    pool_factory = POOLS.get(config.pool.name)
    if is_stateful(evaluator) and POOLS.name_of(pool_factory) != "serial":
        raise ConfigError(
            f"pool: evaluator {config.evaluator.name!r} keeps state that is checkpointed with "
            f"the search, so it runs only in the serial pool, not {config.pool.name!r}"
        )
    if config.eval_timeout_s is not None and "timeout_s" not in context_fields(pool_factory):
        raise ConfigError(
            f"eval_timeout_s: pool {config.pool.name!r} cannot enforce a per-evaluation timeout"
        )
    context = {"recipe": recipe, "evaluator": evaluator, "device": device}
    pool = POOLS.build(
        config.pool.name, config.pool.params, {**context, "timeout_s": config.eval_timeout_s}
    )
    try:
        strategy = STRATEGIES.build(
            config.strategy.name,
            config.strategy.params,
            {"space": space, "seed": component_seed(config.seed, "strategy"), "device": device},
        )
        # Interface 10: constraints and objectives (no-op unless the config asks for them).
        strategy, pool = apply_cost_settings(config, space, strategy, pool, device)
    except BaseException:
        pool.close()
        raise
    return _Components(space, strategy, pool, evaluator, device)


def _trackers(config: SearchConfig, run_dir: RunDir) -> Tracker:
    return build_trackers(
        config.tracking.backends,
        run_dir=run_dir.path,
        config=as_dict(config),
        project=config.tracking.project,
        name=run_dir.path.name,
        mode=config.tracking.wandb_mode,
        every=config.tracking.log_every,
        group=config.tracking.group,
        draw_arch=_draw_png,
    )


def _draw_png(arch: Mapping[str, Any]) -> bytes:
    """The best cell's drawing for trackers (graphviz, or matplotlib without it)."""
    from graphnas.export import arch_bytes  # imported on first use: plotting is not cheap

    return arch_bytes(ArchGraph.from_dict(arch), "png")


def _make_loop(
    config: SearchConfig, run_dir: RunDir, parts: _Components, tracker: Tracker | None
) -> SearchLoop:
    """The loop over `parts` writing to `run_dir`."""
    info = {
        "name": config.name,
        "space": parts.space.name,
        "strategy": config.strategy.name,
        "evaluator": config.evaluator.name,
        "seed": config.seed,
        "device": str(parts.device),
    }
    identity = config_identity(config)
    return SearchLoop(
        parts.space,
        parts.strategy,
        parts.pool,
        config.budget,
        batch_size=config.batch_size,
        seed=config.seed,
        run_dir=run_dir,
        tracker=tracker,
        progress=config.progress,
        info=info,
        failed_reward=config.failed_reward,
        checkpoint_every_s=config.checkpoint_every_s,
        config=identity,
        chain_start=chain_start(identity),
        evaluator=parts.evaluator if is_stateful(parts.evaluator) else None,
    )


def run_search(config: SearchConfig) -> dict[str, Any]:
    """Build and run a search from a config (SIGINT/SIGTERM stop it cleanly); the pool is closed
    afterwards."""
    return run_loop(build_search(config))


def run_loop(loop: SearchLoop) -> dict[str, Any]:
    """Run a built (or resumed) loop with stop signals handled, then close its pool."""
    try:
        with stop_on_signals(loop.stops):
            return loop.run()
    finally:
        loop.release()
        loop.pool.close()
