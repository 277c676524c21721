"""Search with a learned generator: prior warm-up, novel proposals, learning from rewards.

`GeneratorStrategy` is the ask/tell loop shared by `graphpnas` (the GNN generator) and
`reinforce_lstm` (the ENAS controller):
- the first `warmup` proposals are draws from the space's prior;
- afterwards each proposal comes from the generator: a pool of `pool` graphs is sampled at once
  and the first whose canonical hash has never been evaluated or proposed is taken (in sampling
  order, or most likely first with `propose: likely`), so no budget is spent on a known network
  and proposals follow the generator conditioned on novelty; when a pool holds nothing new a
  4x larger one is drawn (`rounds` sizes), then hotter ones, and a prior draw is the last resort;
  with `propose: surrogate` the pool's unseen graphs, joined by `mutants` unseen mutations
  (`space.mutate`) of the MUTANT_PARENTS best evaluated ones, are ranked by a GP's expected
  improvement and the best is taken (the generator proposes broadly, the mutants refine locally);
- every told batch updates the generator by the chosen rule (`update_rules/`), once the warm-up
  results are in; the generator and its optimizer persist across updates;
- `distribution()` is what the search learned, the model `graphnas sample` draws from: the
  generator itself, or, with a `release` rule, a copy refined after the search by
  `release_rounds` updates of that rule on the whole history (e.g. `elite` proposals to search,
  `tempered` with surrogate dreams to release a broad distribution over the good region); the
  search's own generator, optimizer and RNGs are left as they were.
Architectures the generator cannot produce (e.g. an NB101 prior draw with dangling nodes) are
trained on in their pruned form when that is in its support, and skipped otherwise.
The whole state (generator, optimizer, RNGs, history, baseline) round-trips through `state_dict`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.seeding import make_rng, rng_state, set_rng_state
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.base import Hashes, Strategy
from graphnas.strategies.history import Entry, History
from graphnas.strategies.surrogate import Surrogate
from graphnas.strategies.update_rules import UpdateContext, build_update_rule

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator

PROPOSE_MODES = ("sample", "likely", "surrogate")
PRIOR_TRIES = 1000
GROW = 4
HOT_ROUNDS = 3
HOTTER = 1.5
MUTANT_PARENTS = 5
RELEASE_DEFAULT = "tempered"


class GeneratorStrategy(Strategy):
    """Ask/tell search driven by a trainable generator; see the module docstring.

    Loop options: `warmup` prior draws, Adam `lr`, `pool` samples per draw, `propose` mode,
    `rounds` growing pools, `propose_temperature` of the pools (sharper than the generator's own
    temperature: proposals exploit while the learned distribution stays broad), `mutants` joining
    a surrogate-ranked pool (the other modes rank nothing and ignore it); `generator`
    options go to the generator class, `update` names the
    rule (`"elite"`) or gives it with its options (`{name: elite, top_k: 5}`), see
    `graphnas.strategies.update_rules`; `release` (given the same way, `tempered` when a mapping
    names no rule) and `release_rounds` shape `distribution()`.
    """

    generator_kind: ClassVar[str]
    default_update: ClassVar[str]

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        device: torch.device | str | None = None,
        *,
        update: str | dict[str, Any] | None = None,
        warmup: int = 20,
        lr: float = 0.02,
        pool: int = 64,
        propose: str = "sample",
        rounds: int = 3,
        propose_temperature: float | None = None,
        mutants: int = 0,
        generator: dict[str, Any] | None = None,
        release: str | dict[str, Any] | None = None,
        release_rounds: int = 10,
    ) -> None:
        if propose not in PROPOSE_MODES:
            raise ConfigError(f"propose: {propose!r} is not one of {', '.join(PROPOSE_MODES)}")
        if warmup < 0 or pool < 1 or rounds < 1 or not lr > 0:
            raise ConfigError("warmup must be >= 0, pool and rounds >= 1, lr > 0")
        if propose_temperature is not None and not propose_temperature > 0:
            raise ConfigError(f"propose_temperature: must be > 0, got {propose_temperature}")
        if mutants < 0:
            raise ConfigError(f"mutants: must be >= 0, got {mutants}")
        if release_rounds < 1:
            raise ConfigError(f"release_rounds: must be >= 1, got {release_rounds}")
        self.rule = build_update_rule(update or self.default_update, self.default_update)
        self.release = None if release is None else build_update_rule(release, RELEASE_DEFAULT)
        self.release_rounds = int(release_rounds)
        self.space = space
        self.seed = int(seed)
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.warmup = int(warmup)
        self.lr = float(lr)
        self.pool = int(pool)
        self.propose = propose
        self.rounds = int(rounds)
        self.propose_temperature = propose_temperature
        self.mutants = int(mutants)
        self.generator_options = dict(generator or {})
        self.rng = make_rng(seed)
        self.torch_rng = torch.Generator(device=self.device)
        self.torch_rng.manual_seed(self.seed)
        self.history = History(space)
        self.support: dict[str, dict[str, Any] | None] = {}
        self.updates = 0
        self.last_metrics: dict[str, float] = {}
        self.model, self.optimizer = self._fresh_model(self.seed)
        self.surrogate = Surrogate(self.model.structure)

    # ------------------------------------------------------------------ model
    def _fresh_model(self, init_seed: int) -> tuple[AutoregressiveGenerator, torch.optim.Optimizer]:
        """A new generator (weights drawn from `init_seed`, global RNG untouched) and optimizer."""
        from graphnas.generators import GENERATORS  # torch_geometric loads only when needed

        cls = GENERATORS.get(self.generator_kind)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            try:
                model = cls(self.space, **self.generator_options)
            except TypeError as exc:
                raise ConfigError(f"generator options: {exc}") from None
        model = model.to(self.device)
        return model, torch.optim.Adam(model.parameters(), lr=self.lr)

    # ------------------------------------------------------------------ ask
    def ask(self, n: int) -> list[ArchGraph]:
        seen = len(self.history) + len(self.history.pending)
        from_prior = min(n, max(0, self.warmup - seen))
        if len(self.history) < self.warmup:
            from_prior = n  # results of the warm-up are not all in yet
        proposals = [self._novel_prior() for _ in range(from_prior)]
        if n > from_prior:
            proposals += self._novel_samples(n - from_prior)
        return proposals

    def _remember(self, arch: ArchGraph, digest: str) -> ArchGraph:
        self.history.pending.add(digest)
        return arch

    def _novel_prior(self) -> ArchGraph:
        arch = self.space.sample_prior(self.rng)
        for _ in range(PRIOR_TRIES):
            digest = self.history.hash(arch)
            if not self.history.known(digest):
                return self._remember(arch, digest)
            arch = self.space.sample_prior(self.rng)
        return arch  # the space looks exhausted: the loop answers repeats from its cache

    def _novel_samples(self, n: int) -> list[ArchGraph]:
        """n generator samples of networks not known yet: draws from p(G | G unseen) by growing
        pools at the proposal temperature, then hotter pools, then the prior; with
        `propose: surrogate` the novel graphs of the pool and `mutants` novel mutations are ranked
        by expected improvement."""
        candidates: list[tuple[ArchGraph, str]] = []
        digests: dict[ArchGraph, str] = {}  # a pool repeats graphs: hash each once
        for size, temperature in self._pool_schedule(n):
            batch = self.model.sample(size, self.torch_rng, temperature)
            order = range(len(batch))
            if self.propose == "likely":
                order = sorted(order, key=lambda i: -float(batch.log_prob[i]))
            for i in order:
                arch = batch.archs[i]
                if arch in digests:
                    continue
                digests[arch] = self.history.hash(arch)
                if not self.history.known(digests[arch]):
                    candidates.append((arch, digests[arch]))
                    if len(candidates) == n and self.propose != "surrogate":
                        break
            if len(candidates) >= n:
                break
        if self.propose == "surrogate":
            candidates = self._by_expected_improvement(candidates + self._novel_mutants(candidates))
        picked = [self._remember(arch, digest) for arch, digest in candidates[:n]]
        return picked + [self._novel_prior() for _ in range(n - len(picked))]

    def _novel_mutants(
        self, candidates: list[tuple[ArchGraph, str]]
    ) -> list[tuple[ArchGraph, str]]:
        """Up to `mutants` (mutation, hash) pairs, unseen and not in `candidates`: one mutation
        each of the MUTANT_PARENTS best evaluated graphs in turn, best first; a mutation the
        generator's masks cannot encode (no features for the surrogate) is left out."""
        parents = self.history.top(MUTANT_PARENTS)
        taken = {digest for _, digest in candidates}
        found: list[tuple[ArchGraph, str]] = []
        for i in range(self.mutants if parents else 0):
            child = self.space.mutate(parents[i % len(parents)].arch, self.rng)
            digest = self.history.hash(child)
            if digest not in taken and not self.history.known(digest):
                taken.add(digest)
                found.append((child, digest))
        if not found:
            return found
        _, problems = self.model.structure.encode([child for child, _ in found])
        return [pair for pair, problem in zip(found, problems, strict=True) if not problem]

    def _by_expected_improvement(
        self, candidates: list[tuple[ArchGraph, str]]
    ) -> list[tuple[ArchGraph, str]]:
        """`candidates` best first by the expected improvement of the surrogate fitted on the
        history (in sampling order while fewer than two evaluated graphs can be encoded)."""
        if len(candidates) < 2 or not self.surrogate.fit(self._trained_pairs()):
            return candidates
        gain = self.surrogate.expected_improvement([a for a, _ in candidates])
        order = sorted(range(len(candidates)), key=lambda i: -float(gain[i]))
        return [candidates[i] for i in order]

    def _trained_pairs(self) -> list[tuple[ArchGraph, Entry]]:
        pairs = [(self.trainable(e), e) for e in self.history.entries if e.ok]
        return [(arch, e) for arch, e in pairs if arch is not None]

    def _pool_schedule(self, n: int) -> list[tuple[int, float]]:
        """(pool size, temperature) of each attempt: `rounds` pools growing GROW-fold at the
        proposal temperature (`propose_temperature`, default the generator's own), then
        HOT_ROUNDS of the largest pool, each HOTTER."""
        base = self.propose_temperature or self.model.temperature
        sizes = [max(self.pool, n) * GROW**r for r in range(self.rounds)]
        hot = [(sizes[-1], base * HOTTER ** (k + 1)) for k in range(HOT_ROUNDS)]
        return [(size, base) for size in sizes] + hot

    # ------------------------------------------------------------------ tell
    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        new = self.history.record(archs, results, hashes)
        self.last_metrics = {}
        if not new:
            return
        self._find_support(new)
        if len(self.history) < self.warmup:
            return
        fresh = self.rule.wants_fresh_generator(self.history, self.trainable)
        if fresh:
            self.model, self.optimizer = self._fresh_model(self.seed + 1 + self.updates)
        context = UpdateContext(self.history, new, self.trainable, self.torch_rng, self.surrogate)
        metrics = self.rule.update(self.model, self.optimizer, context)
        self.last_metrics = {**metrics, "fresh_generator": float(fresh)}
        self.updates += 1

    def distribution(self) -> AutoregressiveGenerator:
        """The learned distribution: the generator, or (with `release`, once the warm-up is in)
        a copy of it trained by `release_rounds` updates of a fresh copy of the `release` rule,
        each told the whole history as new, with its own Adam, RNG (seeded by `seed`) and
        surrogate; deterministic given the state."""
        if self.release is None or len(self.history) < self.warmup:
            return self.model
        model = copy.deepcopy(self.model)
        rule = copy.deepcopy(self.release)  # a stateful rule (baseline, last elite) starts anew
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        rng = torch.Generator(device=self.device)
        rng.manual_seed(self.seed)
        surrogate = Surrogate(model.structure)
        context = UpdateContext(self.history, self.history.entries, self.trainable, rng, surrogate)
        for _ in range(self.release_rounds):
            rule.update(model, optimizer, context)
        return model

    def metrics(self) -> dict[str, float]:
        """The update rule's numbers of the last update (loss, entropy, ...)."""
        return dict(self.last_metrics)

    def _find_support(self, entries: Sequence[Entry]) -> None:
        """For each new entry: the form the generator trains on (itself, or pruned), or None."""
        archs = [e.arch for e in entries]
        supported = self.model.supports(archs)
        for entry, ok in zip(entries, supported, strict=True):
            form: ArchGraph | None = entry.arch if ok else None
            if form is None:
                pruned = entry.arch.prune()
                if pruned is not entry.arch and self.space.is_valid(pruned):
                    form = pruned if self.model.supports([pruned])[0] else None
            self.support[entry.hash] = form.to_dict() if form is not None else None

    def trainable(self, entry: Entry) -> ArchGraph | None:
        """The architecture the generator learns from for `entry` (None if it cannot)."""
        form = self.support.get(entry.hash)
        if form is None:
            return None
        return ArchGraph.from_dict(form, source="strategy state")

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        return {
            "history": self.history.state_dict(),
            "support": dict(self.support),
            "updates": self.updates,
            "rng": rng_state(self.rng),
            "torch_rng": self.torch_rng.get_state(),
            "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
            # Optimizers keep references to their state tensors: snapshot them.
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "rule": self.rule.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history.load_state_dict(state["history"])
        self.support = dict(state["support"])
        self.updates = int(state["updates"])
        set_rng_state(self.rng, state["rng"])
        self.torch_rng.set_state(state["torch_rng"])
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.rule.load_state_dict(state["rule"])
