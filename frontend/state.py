"""Each page's whole view state <-> its URL query. Pure: no Dash, no HTTP.

Parsing is lenient: a missing or malformed value falls back to its default (a shared link never breaks
a page), numbers are clamped to what the controls offer. ``to_query`` writes every set field, so a link
keeps meaning the same view even if defaults change later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

Query = Mapping[str, Any]  # what Dash passes a page layout: str values, lists for repeated keys

RUN_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
VERSION_RE = re.compile(r"^[0-9a-f]{1,64}$")
NAME_RE = re.compile(r"^[\w .-]{1,64}$")
BASE_RE = re.compile(r"^(?:(item):([0-9]{1,9})|(prior):([0-9]{1,10})|(zero)|(typical))$")

STEPS = (3, 15, 9)  # min, max, default
SPAN = (0.25, 5.0, 2.5)
MAX_DIMS = 20  # rows in one traversal (x 15 steps stays under the backend's 400 cells)
EMBED_N = (50, 1_000_000, 500)  # items a view may show: beyond SYNC_N it is a projection job
SYNC_N = 5000  # the backend's max_embedding_n: /embedding answers at once up to this many items
# traversal span: prior sd (the prior's quantiles), sd at the base (posterior for an item, else prior), latent units
SPAN_UNITS: tuple[str, ...] = ("prior", "sd", "abs")
MAX_Z = 512


def first(query: Query, key: str) -> str | None:
    value = query.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return None if value is None else str(value).strip()


def as_run(text: str | None) -> str | None:
    return text if text and RUN_RE.fullmatch(text) else None


def as_version(text: str | None) -> str | None:
    return text if text and VERSION_RE.fullmatch(text) else None


INVALID = -1  # a base control that holds no whole number in range (blank, 2.5, -3): the page says what it expects


def whole(value: Any, high: int) -> int:
    """A control's value as a whole number in 0..high, else INVALID."""
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return INVALID
    return int(number) if number.is_integer() and 0 <= number <= high else INVALID


def as_int(text: str | None, low: int, high: int, default: int) -> int:
    try:
        return min(max(int(str(text)), low), high)
    except (TypeError, ValueError):
        return default


def as_float(text: str | None, low: float, high: float, default: float) -> float:
    try:
        value = float(str(text))
    except (TypeError, ValueError):
        return default
    return default if math.isnan(value) else min(max(value, low), high)


def as_dims(text: str | None) -> tuple[int, ...]:
    """"3,0,5" -> (3, 0, 5): distinct non-negative ints in the given order, at most MAX_DIMS."""
    out: list[int] = []
    for part in (text or "").split(","):
        if part.strip().isdecimal() and int(part) not in out:
            out.append(int(part))
    return tuple(out[:MAX_DIMS])


def as_floats(text: str | None) -> tuple[float, ...]:
    try:
        values = tuple(float(p) for p in (text or "").split(",") if p.strip())
    except ValueError:
        return ()
    return values[:MAX_Z] if all(abs(v) < 1e6 for v in values) else ()


def as_choice(text: str | None, choices: tuple[str, ...], default: str) -> str:
    return text if text in choices else default


def as_index(text: str | None, size: int) -> int | None:
    """"3" -> 3 for an index in 0..size-1; None when missing or malformed."""
    return int(text) if text and text.isdecimal() and int(text) < size else None


def as_name(text: str | None) -> str | None:
    """A group (or factor) name as datasets spell them: word characters, spaces, dots, dashes."""
    return text if text and NAME_RE.fullmatch(text) else None


def same_value(raw: str, written: str) -> bool:
    """Whether a link's text and the text the page writes back for it mean the same: "2.50" and "2.5",
    "3, 0" and "3,0", "item:007" and "item:7" do; "99" and "15" (clamped) or "x" and "" (dropped) do not."""
    a, b = re.split(r"[,:]", raw), re.split(r"[,:]", written)
    return len(a) == len(b) and all(same_token(x.strip(), y.strip()) for x, y in zip(a, b, strict=True))


def same_token(raw: str, written: str) -> bool:
    """One part of a link's value against the page's text for it ("2.50" and "2.5" are the same number)."""
    try:
        return float(raw) == float(written)
    except ValueError:
        return raw == written


def fmt(value: float) -> str:
    """The shortest text that reads back as exactly this float, so a link made from a link is the same view
    (2.5 -> '2.5', 3.0 -> '3', 2.12345 -> '2.12345')."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(frozen=True)
class Base:
    """The traversal's centre: a dataset item's code, a seeded prior draw, the origin, or the run's typical item
    (an item the backend chooses per run version: ``resolved`` turns it into that item)."""

    kind: Literal["item", "prior", "zero", "typical"] = "zero"
    index: int = 0
    seed: int = 0

    def __str__(self) -> str:
        named = {"item": f"item:{self.index}", "prior": f"prior:{self.seed}", "typical": "typical"}
        return named.get(self.kind, "zero")

    @classmethod
    def parse(cls, text: str | None) -> Base:
        match = BASE_RE.fullmatch(text or "")
        if match is None or match.group(5):
            return cls()
        if match.group(6):
            return cls("typical")
        if match.group(1):
            return cls("item", index=int(match.group(2)))
        return cls("prior", seed=min(int(match.group(4)), 2**32 - 1))

    @classmethod
    def of(cls, kind: str | None, index: Any, seed: Any) -> Base:
        """From the base controls (kind radio, index and seed inputs); INVALID for a value that is not a whole
        number in range (``valid`` is then False and the page says what it expects)."""
        if kind == "item":
            return cls("item", index=whole(index, 10**9 - 1))
        if kind == "prior":
            return cls("prior", seed=whole(seed, 2**32 - 1))
        return cls("typical") if kind == "typical" else cls()

    def resolved(self, typical: int | None) -> Base:
        """The base the backend can draw: the typical item as ``item:<typical>`` (INVALID while it is unknown)."""
        return Base("item", index=INVALID if typical is None else typical) if self.kind == "typical" else self

    @property
    def valid(self) -> bool:
        return INVALID not in (self.index, self.seed)


class PageState:
    """Shared by the page states: ``from_query`` / ``to_query`` over the dataclass fields."""

    PATH: ClassVar[str] = "/"

    def pairs(self) -> list[tuple[str, str]]:
        out = []
        for f in fields(self):  # type: ignore[arg-type]
            text = self.text(f.name, getattr(self, f.name))
            if text is not None:
                out.append((f.name, text))
        return out

    @staticmethod
    def text(name: str, value: Any) -> str | None:
        if value is None or value == () or value == "":
            return None
        if isinstance(value, tuple):
            return ",".join(fmt(v) if isinstance(v, float) else str(v) for v in value)
        return fmt(value) if isinstance(value, float) else str(value)

    def unused(self, query: Query) -> list[str]:
        """The link's ``key=value`` parts this view could not take as given (malformed, out of range): the view
        holds the default or the nearest allowed value instead. Keys the page does not know are not listed."""
        out = []
        for f in fields(self):  # type: ignore[arg-type]
            raw = first(query, f.name)
            if raw and not same_value(raw, self.text(f.name, getattr(self, f.name)) or ""):
                out.append(f"{f.name}={raw if len(raw) <= 40 else raw[:37] + '...'}")
        return out

    def to_query(self) -> str:
        pairs = self.pairs()
        return "?" + urlencode(pairs, safe=",:@") if pairs else ""

    def href(self) -> str:
        return self.PATH + self.to_query()

    def with_version(self, v: str | None) -> Any:
        return replace(self, v=v)  # type: ignore[type-var]


PICK_RE = re.compile(r"^[\w .-]{1,64}=[\w .-]{1,64}(,[\w .-]{1,64}=[\w .-]{1,64}){0,15}$")


def as_pick(text: str | None) -> str:
    """"shape=heart,scale=3": up to 16 comma-separated factor=level pairs as given; "" when malformed."""
    return text if text and PICK_RE.fullmatch(text) else ""


@dataclass(frozen=True)
class ExploreState(PageState):
    PATH: ClassVar[str] = "/explore"

    run: str | None = None
    v: str | None = None
    dims: tuple[int, ...] = ()  # () = the most informative dims, chosen once the factors are known
    steps: int = STEPS[2]
    span: float = SPAN[2]
    base: Base = field(default_factory=lambda: Base("typical"))
    z: tuple[float, ...] = ()  # the playground's latent vector; () = the base point
    unit: str = "prior"  # one of SPAN_UNITS
    pick: str = ""  # the factor values the base item was chosen by, e.g. "shape=heart,scale=3" (as_pick)
    find: str = ""  # the item search box's text, e.g. "label=3" (the backend reads it)

    @classmethod
    def from_query(cls, query: Query) -> ExploreState:
        """A link without ``base`` opens on the typical item with the span in prior sd; a link with a base and no
        ``unit`` was made before the prior unit, when its unit "sd" was never written: it keeps meaning that."""
        text = first(query, "base")
        base = Base.parse(text) if text and BASE_RE.fullmatch(text) else Base("typical")
        return cls(run=as_run(first(query, "run")), v=as_version(first(query, "v")),
                   dims=as_dims(first(query, "dims")), steps=as_int(first(query, "steps"), *STEPS),
                   span=as_float(first(query, "span"), *SPAN), base=base, z=as_floats(first(query, "z")),
                   unit=as_choice(first(query, "unit"), SPAN_UNITS, "prior" if base.kind == "typical" else "sd"),
                   pick=as_pick(first(query, "pick")), find=(first(query, "find") or "")[:MAX_SEARCH])

    def pairs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in super().pairs() if (k, v) != ("unit", "sd")]  # links as they were before units

    def image_params(self) -> dict[str, Any]:
        """The backend's traversal.png query for this view (span_mode only when it is not the default); a typical
        base must be ``resolved`` first."""
        return {"dims": list(self.dims), "steps": self.steps, "span": self.span, "base": str(self.base),
                "span_mode": None if self.unit == "sd" else self.unit, "v": self.v}


Estimator = Literal["mi_gaussian", "mi_monte_carlo"]
ESTIMATORS: tuple[str, ...] = ("mi_gaussian", "mi_monte_carlo")


MI_SOURCES: tuple[str, ...] = ("factors", "attributes")


@dataclass(frozen=True)
class FactorsState(PageState):
    PATH: ClassVar[str] = "/factors"

    run: str | None = None
    v: str | None = None
    est: str = "mi_gaussian"
    source: str = ""  # the heatmap's columns: one of MI_SOURCES; "" = the dataset's factors, else its attributes

    @classmethod
    def from_query(cls, query: Query) -> FactorsState:
        return cls(run=as_run(first(query, "run")), v=as_version(first(query, "v")),
                   est=as_choice(first(query, "est"), ESTIMATORS, "mi_gaussian"),
                   source=as_choice(first(query, "source"), MI_SOURCES, ""))


# the embedding's axes: PCA, the two most informative dims, two chosen dims (dim_x, dim_y), or a projection computed by
# a job (t-SNE, UMAP); SCOPES: a sample of n items, or every item of the dataset (a job)
METHODS: tuple[str, ...] = ("pca", "mi", "dims", "tsne", "umap")
JOB_METHODS: tuple[str, ...] = ("tsne", "umap")
SCOPES: tuple[str, ...] = ("sample", "all")
SEL_RE = re.compile(r"^(box|lasso):(-?[0-9.e+-]+(?:,-?[0-9.e+-]+){3,399})$")  # a selection's outline, data units
SET_RE = re.compile(r"^[\w-]{1,64}$")
MAX_SEARCH = 100


def as_selection(text: str | None) -> str:
    """"box:x0,x1,y0,y1" or "lasso:x,y,x,y,..." (at least 3 vertices) as given; "" when malformed."""
    match = SEL_RE.fullmatch(text or "")
    if match is None:
        return ""
    values = as_floats(match.group(2))
    even = len(values) % 2 == 0 and (len(values) == 4 if match.group(1) == "box" else len(values) >= 6)
    return text if values and even and text else ""


@dataclass(frozen=True)
class EmbeddingState(PageState):
    PATH: ClassVar[str] = "/embedding"

    run: str | None = None
    v: str | None = None
    method: str = "pca"
    dim_x: int = 0  # method "dims": the latent dims on the axes
    dim_y: int = 1
    scope: str = "sample"  # one of SCOPES
    n: int = EMBED_N[2]
    seed: int = 0  # the sample's seed
    color: str = ""  # "factor:<name>" or "attribute:<name>"; "" = one colour
    q: str = ""  # the search, e.g. "label=3" or "shape=heart, scale=3"
    item: int | None = None  # the clicked point: its neighbours are shown
    sel: str = ""  # the box or lasso selection (as_selection)
    set: str | None = None  # the saved item set whose latent means are compared

    @classmethod
    def from_query(cls, query: Query) -> EmbeddingState:
        color, item, saved = first(query, "color") or "", first(query, "item"), first(query, "set")
        return cls(run=as_run(first(query, "run")), v=as_version(first(query, "v")),
                   method=as_choice(first(query, "method"), METHODS, "pca"),
                   dim_x=as_int(first(query, "dim_x"), 0, MAX_Z - 1, 0),
                   dim_y=as_int(first(query, "dim_y"), 0, MAX_Z - 1, 1),
                   scope=as_choice(first(query, "scope"), SCOPES, "sample"), n=as_int(first(query, "n"), *EMBED_N),
                   seed=as_int(first(query, "seed"), 0, 2**32 - 1, 0),
                   color=color if re.fullmatch(r"(factor|attribute):[\w .-]{1,64}", color) else "",
                   q=(first(query, "q") or "")[:MAX_SEARCH], item=as_index(item, 10**9),
                   sel=as_selection(first(query, "sel")), set=saved if saved and SET_RE.fullmatch(saved) else None)

    @property
    def by_job(self) -> bool:
        """Whether the points come from a projection job (t-SNE, UMAP, every item, or more than SYNC_N)."""
        return self.method in JOB_METHODS or self.scope == "all" or self.n > SYNC_N


@dataclass(frozen=True)
class GroupsState(PageState):
    PATH: ClassVar[str] = "/groups"

    run: str | None = None
    v: str | None = None
    dim: int | None = None  # the selected heatmap cell's dim (its traversal is drawn); None = none selected
    group: str | None = None  # the selected cell's group, emphasised in the traversal
    steps: int = STEPS[2]
    span: float = SPAN[2]

    @classmethod
    def from_query(cls, query: Query) -> GroupsState:
        return cls(run=as_run(first(query, "run")), v=as_version(first(query, "v")),
                   dim=as_index(first(query, "dim"), MAX_Z), group=as_name(first(query, "group")),
                   steps=as_int(first(query, "steps"), *STEPS), span=as_float(first(query, "span"), *SPAN))


RUN_SORTS: tuple[str, ...] = ("newest", "oldest", "name", "mig", "val_loss")  # the runs list's orders
RUN_STATUSES: tuple[str, ...] = ("ready", "training", "failed", "cancelled")


@dataclass(frozen=True)
class RunsState(PageState):
    PATH: ClassVar[str] = "/"

    run: str | None = None  # the run whose card is open
    family: str | None = None  # the training form's family
    dataset: str | None = None
    q: str = ""  # the list's search words
    status: str | None = None  # the list shows only runs of this status
    sort: str = RUN_SORTS[0]

    @classmethod
    def from_query(cls, query: Query) -> RunsState:
        name = re.compile(r"^[a-z0-9_]{1,64}$")
        family, dataset, status = first(query, "family"), first(query, "dataset"), first(query, "status")
        return cls(run=as_run(first(query, "run")), family=family if family and name.fullmatch(family) else None,
                   dataset=dataset if dataset and name.fullmatch(dataset) else None,
                   q=(first(query, "q") or "")[:MAX_SEARCH], status=status if status in RUN_STATUSES else None,
                   sort=as_choice(first(query, "sort"), RUN_SORTS, RUN_SORTS[0]))

    def pairs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in super().pairs() if (k, v) != ("sort", RUN_SORTS[0])]  # "/" stays "/"


@dataclass(frozen=True)
class LensState(PageState):
    """The Lens page: a base run (``v``: its version), one of its lenses (``lv``: the lens's version; no lens: the
    form that makes one), the manipulation grid (attribute ``a`` along the columns, ``b`` down the rows or none,
    around dataset item ``item``, ``steps`` values from -``span`` to +``span`` prior sd of z*) and the attribute
    that colours the z* scatter."""

    PATH: ClassVar[str] = "/lens"

    run: str | None = None
    v: str | None = None
    lens: str | None = None
    lv: str | None = None
    a: str | None = None  # None: the lens's first attribute
    b: str | None = None  # None: one row
    item: int = 0
    steps: int = STEPS[2]
    span: float = SPAN[2]
    color: str | None = None  # None: attribute a

    @classmethod
    def from_query(cls, query: Query) -> LensState:
        return cls(run=as_run(first(query, "run")), v=as_version(first(query, "v")), lens=as_run(first(query, "lens")),
                   lv=as_version(first(query, "lv")), a=as_name(first(query, "a")), b=as_name(first(query, "b")),
                   item=as_int(first(query, "item"), 0, 10**9 - 1, 0), steps=as_int(first(query, "steps"), *STEPS),
                   span=as_float(first(query, "span"), *SPAN), color=as_name(first(query, "color")))


def explore_href(run: str, v: str | None, *, dims: tuple[int, ...] = (), base: Base | None = None) -> str:
    """A link that opens Explore on ``run`` with the given dims and base (others at their defaults)."""
    return ExploreState(run=run, v=v, dims=dims, base=base or Base("typical")).href()


MAX_COMPARE = 8  # runs overlaid on the Compare page
SERIES: tuple[str, ...] = ("val_loss", "train_loss", "train_recon", "train_kl")  # training history keys
PINNED_RE = re.compile(r"^([a-z0-9][a-z0-9_-]{0,99})(?:@([0-9a-f]{1,64}))?$")


def as_pinned_runs(text: str | None) -> tuple[str, ...]:
    """"a,b@3f2c" -> ("a", "b@3f2c"): run ids, each optionally pinned to a version, distinct by run, in the given
    order, at most MAX_COMPARE; malformed parts are dropped."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        match = PINNED_RE.fullmatch(part.strip())
        if match and match.group(1) not in out:
            out[match.group(1)] = match.group(0)
    return tuple(out.values())[:MAX_COMPARE]


def unpin(token: str) -> tuple[str, str | None]:
    """"run@version" -> ("run", "version"); "run" -> ("run", None)."""
    run_id, _, version = token.partition("@")
    return run_id, version or None


@dataclass(frozen=True)
class CompareState(PageState):
    """The Compare page: the runs side by side (each pinned to a version when the link gives one) and the training
    series their curves overlay."""

    PATH: ClassVar[str] = "/compare"

    runs: tuple[str, ...] = ()
    series: str = SERIES[0]

    @classmethod
    def from_query(cls, query: Query) -> CompareState:
        return cls(runs=as_pinned_runs(first(query, "runs")), series=as_choice(first(query, "series"), SERIES,
                                                                               SERIES[0]))
