"""Making a lens: a run of the ``lens`` family built on a finished base run, its attributes' specs taken from
the base dataset's schema, and its label set saved beside it (``labels.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import Attribute, AttributeSpec, Dataset, LatentModel, Lens, UnknownDatasetError, get_dataset

from ..errors import InvalidInput
from ..runs import RunRecord, run_dir
from ..store import CreateLimits, RunStore
from .labels import Labels, save_labels

FAMILY = "lens"


@dataclass(frozen=True)
class LensSettings:
    """What a lens is made of, as the request gives it (see ``schemas.lenses.LensCreate``)."""

    variant: str
    k: int
    flow_length: int
    beta: float
    attributes: tuple[str, ...]
    hidden: tuple[int, ...]
    max_items: int
    train: dict[str, Any]  # steps, lr, batch_size, seed: the run's TrainConfig


def lens_of(model: LatentModel) -> Lens:
    """The ``models.lens.Lens`` inside a lens run's model (TypeError for a model of another family)."""
    lens = getattr(model, "lens", None)
    if not isinstance(lens, Lens):
        raise TypeError(f"expected a model of the {FAMILY!r} family, got {model.family!r}")
    return lens


def base_dataset(record: RunRecord) -> Dataset:
    try:
        return get_dataset(record.dataset)
    except UnknownDatasetError as err:
        raise InvalidInput("path.run_id", f"run {record.run_id!r}'s dataset is not available here: {err}") from err


def attribute_spec(attribute: Attribute) -> AttributeSpec:
    """The lens's view of a dataset attribute: its class count, or (for a continuous one) a standardisation
    from its stated range: mean = the centre, std = a quarter of the width (so the range is about +-2 std)."""
    if attribute.kind == "categorical":
        return AttributeSpec.categorical(attribute.name, len(attribute.classes))
    assert attribute.lo is not None and attribute.hi is not None
    width = attribute.hi - attribute.lo
    return AttributeSpec.continuous(attribute.name, (attribute.lo + attribute.hi) / 2, width / 4 if width > 0 else 1.0)


def attribute_specs(dataset: Dataset, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The specs (as config JSON) of the named attributes; 422 naming one the dataset lacks."""
    known = {a.name: a for a in dataset.attribute_specs()}
    unknown = [n for n in names if n not in known]
    if unknown or len(set(names)) != len(names):
        raise InvalidInput("body.attributes", f"expected distinct attributes of dataset {dataset.info.name!r} "
                                              f"({sorted(known)}), got {list(names)}")
    specs = [attribute_spec(known[n]) for n in names]
    return [{"name": s.name, "kind": s.kind, "n_classes": s.n_classes, "mean": s.mean, "std": s.std} for s in specs]


def create_lens(store: RunStore, base: RunRecord, settings: LensSettings, labels: Labels, limits: CreateLimits,
                lens_id: str | None) -> RunRecord:
    """Write the lens run's config.json (pinned to ``base``'s version) and its labels.json; training is a
    ``lens_fit`` job. Errors as ``RunStore.create`` (422 naming the field, 409 for an id in use)."""
    config = {"parent": {"run_id": base.run_id, "version": base.version},
              "parent_latent_dim": int(base.config["latent_dim"]), "variant": settings.variant,
              "latent_dim": settings.k, "flow_length": settings.flow_length, "beta": settings.beta,
              "attributes": attribute_specs(base_dataset(base), settings.attributes),
              "hidden": list(settings.hidden), "max_items": settings.max_items}
    record = store.create(FAMILY, base.dataset, config, settings.train, limits, lens_id)
    try:
        save_labels(run_dir(store.home, record.run_id), labels)
    except Exception:
        store.delete(record.run_id)
        raise
    return record
