"""Datasets served by name; all generated or bundled, none downloaded."""

from .base import Dataset, DatasetInfo, FactorGrid, Group, evenly_spaced
from .registry import MissingExtraError, UnknownDatasetError, dataset_names, get_dataset, register_dataset

__all__ = [
    "Dataset",
    "DatasetInfo",
    "FactorGrid",
    "Group",
    "MissingExtraError",
    "UnknownDatasetError",
    "dataset_names",
    "evenly_spaced",
    "get_dataset",
    "register_dataset",
]
