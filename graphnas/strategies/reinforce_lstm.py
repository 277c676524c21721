"""The ENAS-style baseline: an LSTM controller trained with REINFORCE under the same loop."""

from __future__ import annotations

from graphnas.strategies.generator_strategy import GeneratorStrategy
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("reinforce_lstm")
class ReinforceLSTMStrategy(GeneratorStrategy):
    """ENAS controller (`graphnas.generators.lstm`) with REINFORCE, an EMA baseline and an
    entropy bonus (Pham et al. 2018; `reinforce`'s defaults); same warm-up, novelty rule and
    budget as `graphpnas`. Generator options: `generator: {hidden, temperature, tanh_constant,
    logit_temperature}`."""

    generator_kind = "lstm"
    default_update = "reinforce"
