"""The one HTTP seam: ``BackendClient`` (numbers, over an injected ``httpx.Client``) and ``ImageUrls``
(the PNG URLs the browser loads itself). No other frontend module knows a backend path.

Every failure is a ``BackendError`` carrying the RFC 9457 problem's title and detail, so pages can show
a readable message: an unreachable backend or a timeout become problems too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from .config import FrontendSettings

API = "/api/v1"
PROBLEM_MEDIA_TYPE = "application/problem+json"
READ_METHODS = ("GET", "HEAD")
# Every write carries a header an HTML form cannot send: the backend refuses a write without a JSON body otherwise
# (backend/api/request_checks.py), so a page of another site cannot make one through the user's browser.
WRITE_HEADERS = {"X-Requested-With": "factorscope"}
TokenSource = Callable[[], str | None]  # the signed-in user's API token for the request being served (frontend/auth.py)


class Model(BaseModel):
    """Backend responses: unknown fields are ignored so the backend may grow."""

    model_config = ConfigDict(extra="ignore")


class Family(Model):
    name: str
    summary: str = ""
    capabilities: list[str] = Field(default_factory=list)
    config_schema: dict[str, Any] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    made_by: str | None = None  # another route makes its runs (a lens): not offered by the training form


class Dataset(Model):
    name: str
    kind: str = "image"
    shape: list[int] = Field(default_factory=list)
    n_items: int = 0
    description: str = ""
    factor_names: list[str] = Field(default_factory=list)
    factor_sizes: list[int] = Field(default_factory=list)
    attribute_names: list[str] = Field(default_factory=list)


class MetricResult(Model):
    """One disentanglement metric of a report: its published variant, headline value, the other named scores and
    the sample it was computed on (each metric names its own: points, items or votes)."""

    variant: str
    value: float
    scores: dict[str, float] = Field(default_factory=dict)
    n_points: int | None = None
    n_distinct: int | None = None  # distinct items among n_points drawn with replacement
    n_items: int | None = None
    n_votes: int | None = None
    batch: int | None = None  # items per vote


class Measured(Model):
    """A number measured on ``n_items`` items: the run's validation items ("held out") or any ("all"; reports
    before 2026-11-30 do not say and drew from every item)."""

    n_items: int | None = None
    items: str | None = None

    @property
    def held_out(self) -> bool:
        return self.items == "held out"


class Reconstruction(Measured):
    mse: float | None = None
    nll: float | None = None


class LogLikelihood(Measured):
    iw_elbo: float | None = None
    samples: int | None = None


class FactorSummary(Model):
    total_mi_gaussian: float | None = None


class Report(Model):
    """An evaluation report; what it lacks stays at the empty default."""

    factors: FactorSummary = Field(default_factory=FactorSummary)
    reconstruction: Reconstruction = Field(default_factory=Reconstruction)
    log_likelihood: LogLikelihood = Field(default_factory=LogLikelihood)
    metrics: dict[str, MetricResult] = Field(default_factory=dict)


class TrainingSummary(Model):
    best_val_loss: float | None = None
    steps: int | None = None
    val_loss: float | None = None
    stopped_early: bool | None = None
    train_terms: dict[str, float] = Field(default_factory=dict)  # the last logged step's loss terms


class MetricsFile(Model):
    """A run's metrics.json: its training summary and, once evaluated, its report."""

    training: TrainingSummary = Field(default_factory=TrainingSummary)
    report: Report = Field(default_factory=Report)


class RunMetrics(Model):
    run_id: str
    version: str
    metrics: MetricsFile


class RunSummary(Model):
    run_id: str
    version: str | None = None
    family: str
    dataset: str
    created: str = ""
    status: str = "ready"  # ready | training | failed | cancelled
    job_id: str | None = None  # its latest training job
    error: str | None = None  # why training stopped (failed or cancelled)
    latent_dim: int | None = None
    capabilities: list[str] = Field(default_factory=list)
    metrics: MetricsFile | None = None  # present on a run's detail; some backends add it to the list


class Run(RunSummary):
    config: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    history: list[dict[str, Any]] | None = None
    latest_version: str | None = None  # differs from version for an older version the run kept


class TrainLog(Model):
    """A run's logged training steps after ``after``, in columns aligned with ``step`` (``terms``: loss, recon, kl
    and the family's own; None where a line lacks one); ``more``: others are logged already; ``done``: no more will
    come (trained, failed or cancelled)."""

    run_id: str
    status: str
    done: bool
    total_steps: int | None = None
    eval_every: int | None = None
    last_step: int | None = None
    more: bool = False
    step: list[int] = Field(default_factory=list)
    time: list[float | None] = Field(default_factory=list)
    val_loss: list[float | None] = Field(default_factory=list)
    terms: dict[str, list[float | None]] = Field(default_factory=dict)


class JobAccepted(Model):
    job_id: str
    run_id: str
    job_url: str = ""


JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Job(Model):
    job_id: str
    kind: str = "train"
    state: JobState
    progress: float = 0.0
    message: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    jobs_ahead: int | None = None  # while queued: jobs that come before it
    estimated_start_s: float | None = None  # while queued: seconds until a worker slot is expected to take it
    estimated_start_reason: str | None = None  # while queued without an estimate: why there is none

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")


class FactorDim(Model):
    dim: int
    mi_gaussian: float
    mi_monte_carlo: float
    kl: float
    variance: float


class TopKRow(Model):
    k: int
    mse: float
    kept_mi: float
    kept_fraction: float | None = None


class PriorSubspace(Model):
    """One subspace of an Lp-nested (ISA) prior: its latent dims and (learned) inner exponent."""

    dims: list[int]
    p: float
    p_init: float | None = None


class PriorInfo(Model):
    """The run's prior: ``kind`` "standard_normal", "lp_nested" (with its subspaces) or a prior class name."""

    kind: str
    p0: float | None = None
    scale: float | None = None
    learn_inner: bool | None = None
    subspaces: list[PriorSubspace] | None = None


class Factors(Model):
    run_id: str
    version: str
    dims: list[FactorDim]
    order: list[int]
    topk: list[TopKRow] | None = None
    n_items: int | None = None
    prior: PriorInfo | None = None
    warnings: list[str] = Field(default_factory=list)  # said when the model has collapsed (models.collapse)


class FactorMi(Model):
    """Latent dim x ground-truth factor information: ``normalised[k][f] = I(z_k; v_f) / H(v_f)`` (K x F), the matrix
    MIG (dlib) is built from, with each factor's best dim and its gap to the runner-up. ``source`` says whether the
    F columns are factors or attributes (side information; a continuous one binned as ``binning`` says)."""

    run_id: str
    version: str
    n_items: int
    source: str = "factors"
    sources: list[str] = Field(default_factory=list)  # what the dataset offers as columns
    binning: str = ""
    n_bins: int = 20
    factors: list[str]
    kinds: list[str] = Field(default_factory=list)  # per column: "factor", "categorical" or "continuous"
    dims: list[int]
    normalised: list[list[float]]
    entropy: list[float]
    best_dim: list[int]
    gap: list[float]
    mig: float


class TypicalItem(Model):
    """A run's default traversal base: ``index`` with its factor values, and the ``rule`` that chose it."""

    run_id: str
    version: str
    index: int
    factors: dict[str, int] = Field(default_factory=dict)
    factor_sizes: dict[str, int] = Field(default_factory=dict)
    rule: str = ""


class Embedding(Model):
    run_id: str
    version: str
    method: str
    axes: list[str]
    explained_variance: list[float] | None = None
    index: list[int]
    x: list[float]
    y: list[float]
    factors: dict[str, list[int]] = Field(default_factory=dict)
    attributes: dict[str, list[float]] = Field(default_factory=dict)


class Neighbour(Model):
    item: int
    distance: float  # Euclidean, between posterior means


class Neighbours(Model):
    """The ``k`` items of the sample (``n``, ``seed``) nearest ``item`` in latent space, nearest first."""

    run_id: str
    version: str
    item: int
    n: int
    seed: int
    neighbours: list[Neighbour]


class ItemSearch(Model):
    """Items matching every ``where`` condition: ``total`` of them, ``items`` a page; ``where`` each condition as the
    backend read it (a factor level or class index, or [lo, hi] for a continuous attribute)."""

    dataset: str
    total: int
    offset: int = 0
    items: list[int]
    where: dict[str, int | list[float]] = Field(default_factory=dict)


class ItemSetSummary(Model):
    set_id: str
    run_id: str
    name: str
    n_items: int
    created_by: str | None = None
    created_at: str = ""


class ItemSet(ItemSetSummary):
    """A saved set with its items; read back (``item_set``), the mean posterior code over them and over the run's
    default sample of ``baseline_n`` items (what a saved set is compared with)."""

    items: list[int]
    mean_code: list[float] = Field(default_factory=list)
    baseline_code: list[float] = Field(default_factory=list)
    baseline_n: int | None = None


class Traversal(Model):
    run_id: str
    version: str
    dims: list[int]
    base_z: list[float]
    values: list[list[float]] = Field(default_factory=list)  # dims x steps: the traversed dim's value
    shape: list[int] = Field(default_factory=list)  # one output item's shape
    outputs: list[list[list[float]]] | None = None  # dims x steps x features (flattened item), when asked for


class GroupSlice(Model):
    """One output group: features ``start:stop`` of the flattened item."""

    name: str
    start: int
    stop: int


class TopGroups(Model):
    dim: int
    groups: list[str]  # up to 3, largest norm first; pruned (exactly zero) links left out
    norms: list[float]


class GroupHeatmap(Model):
    """Latent-to-group link strengths of a grouped run: ``norms[g][j] = ||W^(g)[:, j]||_2`` (G x K)."""

    run_id: str
    version: str
    groups: list[str]  # G names
    group_slices: list[GroupSlice]
    dims: list[int]  # K dims
    norms: list[list[float]]  # G x K; a pruned link is exactly 0.0
    n_zero: int = 0
    top_groups: list[TopGroups] = Field(default_factory=list)  # one per dim


# -- lenses (issue 16): a run's lenses, their scores and z* ---------------------------------------------

class Attribute(Model):
    """A dataset attribute (side information): categorical with ``classes`` (a value is a class index), or
    continuous in ``lo``..``hi`` (``unit``)."""

    name: str
    kind: Literal["categorical", "continuous"]
    description: str = ""
    classes: list[str] | None = None
    lo: float | None = None
    hi: float | None = None
    unit: str | None = None


class DatasetAttributes(Model):
    dataset: str
    n_items: int
    attributes: list[Attribute]


class LensSummary(Model):
    """A lens of a base run: ``version`` None until its first fit ends; ``parent_version`` the base run's version
    it is pinned to; ``status`` ready, training, refitting, failed or cancelled."""

    lens_id: str
    run_id: str
    version: str | None = None
    parent_version: str
    status: str
    job_id: str | None = None
    error: str | None = None
    variant: str
    k: int
    attributes: list[str]


class Lens(LensSummary):
    train: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | None = None  # per attribute: labelled items and class counts or range; the sources
    stale_parent: str | None = None  # why the lens cannot be used now (its base run moved), else None


class ScoreRow(Model):
    """One code's interpretability for one attribute: ``value`` the geometric-mean held-out probability of the
    true class (0..1), read from the single most informative ``dim``."""

    value: float
    accuracy: float
    mean_log_prob: float
    dim: int


class AttributeScore(Model):
    lens: ScoreRow  # the lens's z*
    base: ScoreRow  # the base run's own latent dims
    n_train: int
    n_test: int
    binned: bool  # a continuous attribute, binned into classes


class LensScore(Model):
    lens_id: str
    version: str
    attributes: dict[str, AttributeScore]
    truth: str
    binning: str


class LensEmbedding(Model):
    """z* of a sample of items: ``x``, ``y`` are the coordinates named by ``axes``; ``values`` the attribute's."""

    lens_id: str
    version: str
    attribute: str
    axes: list[str]
    index: list[int]
    x: list[float]
    y: list[float]
    values: list[float]


class WhoAmI(Model):
    """Who a token is: ``name`` (None when the backend asks for no tokens: ``auth`` false) and ``role``."""

    name: str | None = None
    role: Literal["viewer", "labeller", "admin"]
    auth: bool


class BackendError(Exception):
    """A problem answered by the backend (or about reaching it), ready to show: ``title`` and ``detail``."""

    def __init__(self, status: int, title: str, detail: str, *, current_version: str | None = None,
                 errors: list[dict[str, Any]] | None = None, problem_type: str = "about:blank") -> None:
        super().__init__(f"{title}: {detail}")
        self.status, self.title, self.detail = status, title, detail
        self.current_version, self.errors, self.problem_type = current_version, errors or [], problem_type

    def is_a(self, slug: str) -> bool:
        """Whether the problem's type names ``slug``, e.g. ``is_a("no-groups")`` for ".../problems/no-groups"."""
        return self.problem_type.endswith(f"problems/{slug}")


def problem_of(response: httpx.Response) -> BackendError:
    """The problem+json body as a BackendError; anything else (an HTML 502 page, say) summarised."""
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = " ".join(response.text.split())[:200] or "no details were given"
        return BackendError(status, phrase, f"the backend answered {status} ({text})")
    detail = body.get("detail")
    if not isinstance(detail, str):  # e.g. FastAPI's default {"detail": [...]} shape
        detail = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in detail or []) or phrase
    return BackendError(status, str(body.get("title") or phrase), detail,
                        current_version=body.get("current_version"), errors=body.get("errors"),
                        problem_type=str(body.get("type") or "about:blank"))


def _path(*parts: str | int) -> str:
    return API + "".join("/" + quote(str(p), safe="") for p in parts)


def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset parameters; lists become comma-separated."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == "":
            continue
        out[key] = ",".join(str(v) for v in value) if isinstance(value, list | tuple) else value
    return out


class BackendClient:
    """Typed calls to /api/v1. ``http`` is any ``httpx.Client`` (a MockTransport one in tests); ``token`` gives the
    API token of the user the dashboard is serving (sent as a bearer token with every call), or None."""

    def __init__(self, http: httpx.Client, token: TokenSource | None = None) -> None:
        self.http, self.token = http, token

    # -- transport -------------------------------------------------------------------------------
    def _send(self, method: str, path: str, params: Mapping[str, Any] | None = None,
              body: Any | None = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """``headers``: more request headers (a write's Idempotency-Key)."""
        sent = {**({} if method in READ_METHODS else WRITE_HEADERS), **self._authorization(), **(headers or {})}
        try:
            # params=None keeps a query already in ``path`` (httpx replaces it with any params, even {})
            response = self.http.request(method, path, params=_query(params) if params else None, json=body,
                                         headers=sent or None)
        except httpx.TimeoutException as err:
            raise BackendError(504, "Backend timed out", "the API took too long to answer; it may be busy: try "
                               "again in a moment") from err
        except httpx.TransportError as err:
            raise BackendError(503, "Backend unreachable", f"could not reach the API at {self.http.base_url}: is it "
                               "running? Start it (factorscope serve), or point FACTORSCOPE_BACKEND_URL at it") from err
        if response.status_code >= 400:
            raise problem_of(response)
        return response

    def _authorization(self) -> dict[str, str]:
        token = self.token() if self.token is not None else None
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _json(self, method: str, path: str, params: Mapping[str, Any] | None = None,
              body: Any | None = None, headers: Mapping[str, str] | None = None) -> Any:
        response = self._send(method, path, params, body, headers)
        try:
            return response.json()
        except ValueError as err:
            raise BackendError(502, "Bad Gateway", f"the server at {self.http.base_url} answered something other "
                               "than JSON: check that FACTORSCOPE_BACKEND_URL points at the factorscope API") from err

    # -- who is calling ---------------------------------------------------------------------------
    def whoami(self, token: str | None = None) -> WhoAmI:
        """Who ``token`` is (default: the signed-in user's); 401 for a token unknown or revoked, or none where the
        backend asks for one."""
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return WhoAmI.model_validate(self._json("GET", _path("auth", "whoami"), headers=headers))

    # -- catalogue -------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._json("GET", _path("health")))

    def workers(self) -> int | None:
        """How many job workers run (GET /ready); None when the backend cannot say (it is not ready)."""
        try:
            return int(self._json("GET", _path("ready"))["workers"])
        except (BackendError, KeyError, TypeError, ValueError):
            return None

    def families(self) -> list[Family]:
        return [Family.model_validate(f) for f in self._json("GET", _path("families"))["families"]]

    def datasets(self) -> list[Dataset]:
        return [Dataset.model_validate(d) for d in self._json("GET", _path("datasets"))["datasets"]]

    # -- runs and jobs ---------------------------------------------------------------------------
    def runs(self) -> list[RunSummary]:
        return [RunSummary.model_validate(r) for r in self._json("GET", _path("runs"))["runs"]]

    def run(self, run_id: str, v: str | None = None) -> Run:
        """The run now, or (``v``) at an older version it kept; a version it never kept answers 409."""
        return Run.model_validate(self._json("GET", _path("runs", run_id), params={"v": v} if v else None))

    def create_run(self, family: str, dataset: str, config: Mapping[str, Any],
                   train: Mapping[str, Any], run_id: str | None = None) -> JobAccepted:
        """Queue a new run's training; ``run_id`` None lets the backend name it."""
        body = {"family": family, "dataset": dataset, "config": dict(config), "train": dict(train),
                **({"run_id": run_id} if run_id else {})}
        return JobAccepted.model_validate(self._json("POST", _path("runs"), body=body))

    def resume_run(self, run_id: str) -> JobAccepted:
        """Queue a run's training again (it continues from its checkpoint)."""
        return JobAccepted.model_validate(self._json("POST", _path("runs", run_id, "train")))

    def train_log(self, run_id: str, after: int = 0, limit: int = 2000) -> TrainLog:
        """The run's logged training steps after step ``after`` (at most ``limit``, up to 10,000)."""
        return TrainLog.model_validate(self._json("GET", _path("runs", run_id, "log"),
                                                  {"after": after, "limit": limit}))

    def delete_run(self, run_id: str) -> None:
        self._send("DELETE", _path("runs", run_id))

    def job(self, job_id: str) -> Job:
        return Job.model_validate(self._json("GET", _path("jobs", job_id)))

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a job (a running one stops at its next progress report)."""
        return Job.model_validate(self._json("DELETE", _path("jobs", job_id)))

    def jobs(self, kind: str | None = None, state: str | None = None, active: bool = False) -> list[Job]:
        """The newest 100 jobs, newest first, optionally of one kind and state, or only unfinished ones."""
        query = {"kind": kind, "state": state, "active": "true" if active else None}
        return [Job.model_validate(j) for j in self._json("GET", _path("jobs"), query)["jobs"]]

    def evaluate(self, run_id: str) -> JobAccepted:
        """Queue the job that (re)computes the run's metrics report."""
        return JobAccepted.model_validate(self._json("POST", _path("runs", run_id, "metrics")))

    # -- analysis --------------------------------------------------------------------------------
    def factors(self, run_id: str, v: str | None = None) -> Factors:
        return Factors.model_validate(self._json("GET", _path("runs", run_id, "factors"), {"v": v}))

    def factor_mi(self, run_id: str, v: str | None = None, source: str | None = None) -> FactorMi:
        """The dim x factor information matrix over the dataset's factors or (``source="attributes"``, or by default
        for a dataset without factors) its attributes; a dataset with neither answers 409 ("no-factors")."""
        params = {"v": v, "source": source or None}
        return FactorMi.model_validate(self._json("GET", _path("runs", run_id, "factor-mi"), params))

    def typical_item(self, run_id: str, v: str | None = None) -> TypicalItem:
        return TypicalItem.model_validate(self._json("GET", _path("runs", run_id, "typical-item"), {"v": v}))

    def metrics(self, run_id: str) -> RunMetrics:
        """The run's metrics.json: its training summary and evaluation report."""
        return RunMetrics.model_validate(self._json("GET", _path("runs", run_id, "metrics")))

    def embedding(self, run_id: str, method: str, n: int, v: str | None = None, *, seed: int = 0,
                  dims: tuple[int, int] | None = None) -> Embedding:
        """``n`` sampled items in 2-D (n up to max_embedding_n); ``dims`` the two dims of method "dims"."""
        params = {"method": method, "n": n, "v": v, "seed": seed or None,
                  **({"dim_x": dims[0], "dim_y": dims[1]} if dims else {})}
        return Embedding.model_validate(self._json("GET", _path("runs", run_id, "embedding"), params))

    def request_projection(self, run_id: str, method: str, n: int, seed: int = 0, v: str | None = None) -> JobAccepted:
        """Queue the job that projects ``n`` items (t-SNE, UMAP, or PCA/MI beyond max_embedding_n); the same job again
        for the same request."""
        body = {"method": method, "n": n, "seed": seed, "v": v}
        return JobAccepted.model_validate(self._json("POST", _path("runs", run_id, "projections"), body=body))

    def projection(self, run_id: str, method: str, n: int, seed: int = 0, v: str | None = None) -> Embedding:
        """A projection the job computed; 404 while it is not computed."""
        params = {"n": n, "seed": seed, "v": v}
        return Embedding.model_validate(self._json("GET", _path("runs", run_id, "projections", method), params))

    def neighbours(self, run_id: str, item: int, k: int = 10, n: int = 2000, seed: int = 0,
                   v: str | None = None) -> Neighbours:
        params = {"item": item, "k": k, "n": n, "seed": seed, "v": v}
        return Neighbours.model_validate(self._json("GET", _path("runs", run_id, "neighbours"), params))

    def search_items(self, dataset: str, where: Sequence[str], limit: int = 24, offset: int = 0) -> ItemSearch:
        """Items whose factors/attributes match every ``name=value`` in ``where`` (422 naming a bad entry); the API
        takes them as one comma-separated ``where``, as it takes every list."""
        params = {"where": list(where), "limit": limit, "offset": offset}
        return ItemSearch.model_validate(self._json("GET", _path("datasets", dataset, "items", "search"), params))

    def create_item_set(self, run_id: str, name: str, items: Sequence[int]) -> ItemSet:
        body = {"name": name, "items": list(items)}
        return ItemSet.model_validate(self._json("POST", _path("runs", run_id, "item-sets"), body=body))

    def item_sets(self, run_id: str) -> list[ItemSetSummary]:
        rows = self._json("GET", _path("runs", run_id, "item-sets"))["sets"]
        return [ItemSetSummary.model_validate(x) for x in rows]

    def item_set(self, set_id: str) -> ItemSet:
        return ItemSet.model_validate(self._json("GET", _path("item-sets", set_id)))

    def traversal(self, run_id: str, base: str, v: str | None = None) -> Traversal:
        """The numbers of a one-dim traversal around ``base``: its ``base_z`` is the base point's code."""
        params = {"base": base, "dims": [0], "steps": 2, "outputs": "false", "v": v}
        return Traversal.model_validate(self._json("GET", _path("runs", run_id, "traversal"), params))

    def dim_traversal(self, run_id: str, dim: int, steps: int, span: float, v: str | None = None) -> Traversal:
        """Dim ``dim`` traversed around zero with its decoded outputs (1 x steps x features)."""
        params = {"dims": [dim], "steps": steps, "span": span, "base": "zero", "outputs": "true", "v": v}
        return Traversal.model_validate(self._json("GET", _path("runs", run_id, "traversal"), params))

    def group_heatmap(self, run_id: str, v: str | None = None) -> GroupHeatmap:
        """The run's latent-to-group norms; a run without groups answers 409 (problem type "no-groups")."""
        return GroupHeatmap.model_validate(self._json("GET", _path("runs", run_id, "groups", "heatmap"), {"v": v}))

    # -- lenses --------------------------------------------------------------------------------
    def attributes(self, dataset: str) -> DatasetAttributes:
        """The dataset's attributes (no values)."""
        return DatasetAttributes.model_validate(self._json("GET", _path("datasets", dataset, "attributes")))

    def lenses(self, run_id: str) -> list[LensSummary]:
        """The lenses built on run ``run_id``, newest first."""
        return [LensSummary.model_validate(x) for x in self._json("GET", _path("runs", run_id, "lenses"))["lenses"]]

    def lens(self, run_id: str, lens_id: str, v: str | None = None) -> Lens:
        """The lens now, or (``v``) at an older version it kept; a version it never kept answers 409."""
        return Lens.model_validate(self._json("GET", _path("runs", run_id, "lenses", lens_id), {"v": v}))

    def create_lens(self, run_id: str, body: Mapping[str, Any]) -> JobAccepted:
        """Queue a new lens's lens_fit job; ``body`` as POST /runs/{run_id}/lenses takes it."""
        return JobAccepted.model_validate(self._json("POST", _path("runs", run_id, "lenses"), body=dict(body)))

    def lens_score(self, run_id: str, lens_id: str, v: str | None = None) -> LensScore:
        return LensScore.model_validate(self._json("GET", _path("runs", run_id, "lenses", lens_id, "score"), {"v": v}))

    def lens_embedding(self, run_id: str, lens_id: str, attribute: str, n: int,
                       v: str | None = None) -> LensEmbedding:
        params = {"attribute": attribute, "n": n, "v": v}
        return LensEmbedding.model_validate(self._json("GET", _path("runs", run_id, "lenses", lens_id, "embedding"),
                                                       params))

    # -- images fetched server-side (downloads, explaining a broken <img>) -------------------------
    def traversal_png(self, run_id: str, params: Mapping[str, Any]) -> bytes:
        return self._send("GET", _path("runs", run_id, "traversal.png"), params).content

    def fetch(self, path: str) -> bytes:
        """GET a backend path with its query (``/api/v1/...?...``) as it is; problems raise."""
        if not path.startswith(API + "/"):
            raise BackendError(400, "Bad Request", f"expected a path under {API}, got {path[:80]!r}")
        return self._send("GET", path).content


class ImageUrls:
    """URLs of backend PNGs for <img src>: on the backend's public address, or (``public_url`` "") paths on the
    dashboard's own origin, served by its /api/v1 proxy. ``origin`` (the dashboard's address as the browser reached
    it) makes such a path a link to copy."""

    def __init__(self, public_url: str, origin: str = "") -> None:
        self.base, self.origin = public_url.rstrip("/"), origin.rstrip("/")

    def _url(self, path: str, params: Mapping[str, Any]) -> str:
        query = urlencode(_query(params), safe=",:")
        return f"{self.base}{path}" + (f"?{query}" if query else "")

    def traversal(self, run_id: str, params: Mapping[str, Any]) -> str:
        """``params``: the traversal.png query (``ExploreState.image_params``)."""
        return self._url(_path("runs", run_id, "traversal.png"), params)

    def decode(self, run_id: str, z: Sequence[float], v: str | None) -> str:
        return self._url(_path("runs", run_id, "decode.png"), {"z": [f"{x:.3g}" for x in z], "v": v})

    def reconstruct(self, run_id: str, items: Sequence[int], v: str | None) -> str:
        """The items (top row) over their reconstructions (bottom row)."""
        return self._url(_path("runs", run_id, "reconstruct.png"), {"items": list(items), "v": v})

    def item(self, dataset: str, index: int) -> str:
        return f"{self.base}{_path('datasets', dataset, 'items', f'{index}.png')}"

    def sprites(self, dataset: str, n: int, seed: int, cell: int) -> str:
        """The sprite sheets of a sample, with ``{page}`` where the page number goes: sheet p holds the thumbnails of
        sample positions p*1024..p*1024+1023, 32 to a row, ``cell`` px each."""
        query = urlencode({"n": n, "seed": seed, "cell": cell})
        return f"{self.base}{_path('datasets', dataset, 'sprites')}/{{page}}.png?{query}"

    def manipulation(self, run_id: str, lens_id: str, params: Mapping[str, Any]) -> str:
        """``params``: the manipulation.png query (base, a, b, steps, span, v)."""
        return self._url(_path("runs", run_id, "lenses", lens_id, "manipulation.png"), params)

    def shareable(self, url: str) -> str:
        """``url`` as a link that works outside the page: a path gets the dashboard's origin."""
        return self.origin + url if url.startswith("/") else url

    def path_of(self, url: str) -> str | None:
        """The backend path + query of one of our image URLs (None for any other URL). Through the proxy the
        browser reports the path on whatever origin it reached the dashboard by."""
        parts = urlsplit(url)
        if not (url.startswith(self.base + API + "/") if self.base else parts.path.startswith(API + "/")):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")


def make_client(settings: FrontendSettings, token: TokenSource | None = None) -> BackendClient:
    timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
    return BackendClient(httpx.Client(base_url=settings.backend_url, timeout=timeout), token)
