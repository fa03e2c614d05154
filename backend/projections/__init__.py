"""Precomputed 2-D projections of a run's posterior means (t-SNE, UMAP, and PCA or MI axes of more items than an
embedding request encodes): the ``projection`` job computes one into the run's folder, the API serves it."""

from .files import codes_path, projection_path, read_codes, read_projection
from .job import projection_job
from .limits import check_projected_n, check_projection

__all__ = ["check_projected_n", "check_projection", "codes_path", "projection_job", "projection_path", "read_codes",
           "read_projection"]
