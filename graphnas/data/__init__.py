"""Datasets as uint8 tensors (Tiny ImageNet, CIFAR, synthetic), batch loader, augmentation."""

from graphnas.data.augment import Augment, Normalize
from graphnas.data.dataset import ImageDataset, ImageSplit
from graphnas.data.loader import TensorBatchLoader
from graphnas.data.spec import load_dataset

__all__ = [
    "Augment",
    "ImageDataset",
    "ImageSplit",
    "Normalize",
    "TensorBatchLoader",
    "load_dataset",
]
