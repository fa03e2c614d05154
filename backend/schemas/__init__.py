"""Pydantic schemas at the API boundary, named by role: *Create (request bodies), *Query (query
parameters), *Public (responses), Problem (errors)."""

from .analysis import EmbeddingPublic, EmbeddingQuery, FactorsPublic, FactorsQuery
from .common import Problem, RunRef
from .datasets import DatasetList, DatasetPublic
from .families import FamilyList, FamilyPublic
from .groups import GroupHeatmapPublic, HeatmapQuery, TopGroups
from .health import HealthPublic, ReadyPublic
from .jobs import JobAccepted, JobList, JobPublic, JobsQuery
from .latents import (
    DecodePngQuery,
    DecodePublic,
    DecodeRequest,
    ReconstructQuery,
    TraversalJsonQuery,
    TraversalPublic,
    TraversalQuery,
)
from .metrics import EvaluateRequest, MetricsFile, MetricsPublic
from .runs import RunCreate, RunList, RunPublic, RunSummary, RunTrain

__all__ = [
    "DatasetList",
    "DatasetPublic",
    "DecodePngQuery",
    "DecodePublic",
    "DecodeRequest",
    "EmbeddingPublic",
    "EmbeddingQuery",
    "EvaluateRequest",
    "FactorsPublic",
    "FactorsQuery",
    "FamilyList",
    "FamilyPublic",
    "GroupHeatmapPublic",
    "HealthPublic",
    "HeatmapQuery",
    "JobAccepted",
    "JobList",
    "JobPublic",
    "JobsQuery",
    "MetricsFile",
    "MetricsPublic",
    "Problem",
    "ReadyPublic",
    "ReconstructQuery",
    "RunCreate",
    "RunList",
    "RunPublic",
    "RunRef",
    "RunSummary",
    "RunTrain",
    "TopGroups",
    "TraversalJsonQuery",
    "TraversalPublic",
    "TraversalQuery",
]
