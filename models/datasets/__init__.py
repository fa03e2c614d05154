"""Datasets served by name; all generated or bundled, none downloaded."""

from .attributes import Attribute, AttributeKind, UnknownAttributeError
from .base import Dataset, DatasetInfo, FactorGrid, Group, evenly_spaced
from .registry import MissingExtraError, UnknownDatasetError, dataset_names, get_dataset, register_dataset

__all__ = [
    "Attribute",
    "AttributeKind",
    "Dataset",
    "DatasetInfo",
    "FactorGrid",
    "Group",
    "MissingExtraError",
    "UnknownAttributeError",
    "UnknownDatasetError",
    "dataset_names",
    "evenly_spaced",
    "get_dataset",
    "register_dataset",
]
