"""Training of compiled networks: SGD, cosine schedule, bf16/channels_last, checkpoint, resume."""

from graphnas.train.callbacks import TrackerCallback, TrainCallback
from graphnas.train.config import TrainConfig
from graphnas.train.trainer import Trainer, TrainResult

__all__ = ["TrackerCallback", "TrainCallback", "TrainConfig", "TrainResult", "Trainer"]
