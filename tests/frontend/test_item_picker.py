"""Explore's item picker against the real app (in process, a tiny vae trained on glyphs): levels named as the
backend reads them, the first item with the chosen levels as the base, a search's thumbnails, a refused condition
shown as written, the base item's neighbours; and the link keeps the pick and the search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from dash import no_update
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.main import create_app
from backend.runs import create_run, train_run
from frontend.api_client import BackendClient, ImageUrls
from frontend.components.item_picker import choose_view, find_view, level_options, neighbours_view, pick_text
from frontend.components.pagekit import parse_search
from frontend.state import ExploreState
from models.datasets import get_dataset
from models.training import TrainConfig

RUN = "glyphs"
BASE_URL = "http://backend:8000"
IMAGES = ImageUrls(BASE_URL)
DSPRITES = get_dataset("dsprites")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendClient]:
    home: Path = tmp_path_factory.mktemp("picker-home")
    create_run(home, "vae", {"latent_dim": 3, "hidden": [16]}, "glyphs",
               TrainConfig(steps=20, batch_size=32, eval_every=20, checkpoint_every=0, seed=0), run_id=RUN)
    train_run(home, RUN)
    settings = Settings(home=home, database_url=f"sqlite:///{home}/jobs.db", allowed_hosts=["backend"])
    with TestClient(create_app(settings), base_url=BASE_URL) as http:
        yield BackendClient(http)


def text_of(component: object) -> str:
    return str(getattr(component, "children", component))


def test_levels_are_named_where_the_dataset_names_them(client: BackendClient) -> None:
    dataset = next(d for d in client.datasets() if d.name == "dsprites")
    options = dict(level_options(dataset, client.attributes("dsprites").attributes))
    assert list(options) == ["shape", "scale", "orientation", "posX", "posY"]
    assert [o["value"] for o in options["shape"]] == ["*", "square", "ellipse", "heart"]
    assert [o["value"] for o in options["scale"]] == ["*", "0", "1", "2", "3", "4", "5"]
    assert len(options["posX"]) == 33 and options["posX"][0]["label"] == "any"


def test_the_first_item_with_the_chosen_levels_becomes_the_base(client: BackendClient) -> None:
    names = ["shape", "scale", "orientation", "posX", "posY"]
    values = ["heart", "3", None, "16", "*"]
    kind, index, pick, note = choose_view(client, "dsprites", names, values, "")
    assert (kind, pick) == ("item", "shape=heart,scale=3,posX=16") == ("item", pick_text(names, values))
    factors = DSPRITES.factors(np.array([index]))[0]
    assert (factors[0], factors[1], factors[3]) == (2, 3, 16)
    assert note.startswith("1,280 items have shape=heart, scale=3, posX=16; the first, item ")  # 40 x 32
    restored = choose_view(client, "dsprites", names, values, pick)  # the link's own pick: its base stays
    assert restored == (no_update, no_update, pick, "1,280 items have shape=heart, scale=3, posX=16.")
    assert choose_view(client, "dsprites", names, [""] * 5, pick) == (no_update, no_update, "", None)


def test_a_refused_level_is_shown_as_written_with_the_reason(client: BackendClient) -> None:
    kind, _, pick, note = choose_view(client, "dsprites", ["shape", "scale"], ["heart", "9"], "")
    assert kind is no_update and pick == "shape=heart,scale=9"
    assert text_of(note).startswith("“scale=9” was refused: expected a level index 0..5")


def test_a_search_shows_its_first_matches(client: BackendClient) -> None:
    found, note = find_view(client, IMAGES, "digits", ["label=3"])
    label = get_dataset("digits").attribute_values("label")
    expected = np.flatnonzero(label == 3)[:12].tolist()
    assert [b.id["index"] for b in found] == expected and all(b.id["type"] == "found-item" for b in found)
    assert note == f"{int((label == 3).sum())} items of digits match label=3 (the first 12 below)."
    found, note = find_view(client, IMAGES, "digits", ["label=3", "thickness=9..10"])
    assert found == [] and note == "0 items of digits match label=3, thickness=9..10."
    found, note = find_view(client, IMAGES, "digits", ["label=3", "thickness=2"])
    assert found == [] and text_of(note).startswith("“thickness=2” was refused: expected a range lo..hi")


def test_the_neighbours_are_captioned_with_their_distances(client: BackendClient) -> None:
    run = client.run(RUN)
    view = {"run_id": RUN, "version": run.version, "dataset": "glyphs"}
    buttons, note = neighbours_view(client, IMAGES, view, 4321)
    near = client.neighbours(RUN, 4321, 8, 2000, 0, run.version)
    assert [b.id["index"] for b in buttons] == [row.item for row in near.neighbours] and len(buttons) == 8
    assert [b.children[1].children for b in buttons] == [f"d {row.distance:.3g}" for row in near.neighbours]
    assert "8 items of a 2,000-item sample" in note and "item 4321" in note
    assert neighbours_view(client, IMAGES, view, None)[0] == []


def test_the_link_keeps_the_pick_and_the_search() -> None:
    state = ExploreState(run="r", pick="shape=heart,scale=3", find="label=3, thickness=1.5..2")
    assert "pick=shape%3Dheart,scale%3D3" in state.to_query()
    assert ExploreState.from_query(parse_search(state.to_query())) == state
    assert ExploreState.from_query({"pick": "shape=<b>"}).pick == ""
    assert ExploreState.from_query({"find": "x" * 500}).find == "x" * 100
