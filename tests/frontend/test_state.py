"""URL query <-> view state: round trips, lenient parsing, clamping."""

from __future__ import annotations

import pytest

from frontend.components.pagekit import parse_search
from frontend.state import (
    MAX_DIMS,
    Base,
    EmbeddingState,
    ExploreState,
    FactorsState,
    GroupsState,
    RunsState,
    explore_href,
)


def test_explore_round_trip() -> None:
    state = ExploreState(run="tiny", v="470e055819f7", dims=(3, 0, 2), steps=7, span=1.5,
                         base=Base("item", index=12), z=(0.5, -1.25, 0.0, 2.0))
    query = state.to_query()
    assert query == "?run=tiny&v=470e055819f7&dims=3,0,2&steps=7&span=1.5&base=item:12&z=0.5,-1.25,0,2&unit=prior"
    assert ExploreState.from_query(parse_search(query)) == state
    assert state.href() == "/explore" + query


def test_the_span_unit_is_in_the_link_unless_it_is_sd_as_before_units() -> None:
    for unit in ("abs", "prior"):
        state = ExploreState(run="tiny", v="470e055819f7", dims=(1,), unit=unit)
        assert state.to_query().endswith(f"&unit={unit}") and state.image_params()["span_mode"] == unit
        assert ExploreState.from_query(parse_search(state.to_query())) == state
    posterior = ExploreState(run="tiny", base=Base("item", index=3), unit="sd")
    assert "unit" not in posterior.to_query() and posterior.image_params()["span_mode"] is None
    assert ExploreState.from_query(parse_search(posterior.to_query())) == posterior
    assert ExploreState.from_query({"unit": "parsecs"}).unit == "prior"  # no base: the typical item, prior sd
    assert ExploreState.from_query({"base": "item:4"}).unit == "sd"  # a link made before the prior unit


def test_a_link_without_a_base_opens_on_the_typical_item_in_prior_units() -> None:
    state = ExploreState.from_query({"run": "tiny"})
    assert state.base == Base("typical") and state.unit == "prior"
    assert state.to_query() == "?run=tiny&steps=9&span=2.5&base=typical&unit=prior"
    assert ExploreState.from_query(parse_search(state.to_query())) == state
    assert Base("typical").resolved(42) == Base("item", index=42) and not Base("typical").resolved(None).valid
    assert Base("prior", seed=3).resolved(42) == Base("prior", seed=3)


def test_explore_defaults_and_garbage() -> None:
    assert ExploreState.from_query({}) == ExploreState()
    bad = ExploreState.from_query({"run": "../etc", "v": "XYZ", "dims": "a,1,1,-2,4", "steps": "1000",
                                   "span": "nan", "base": "item:-3", "z": "1,boom"})
    assert bad == ExploreState(dims=(1, 4), steps=15)
    assert ExploreState.from_query({"steps": "0", "span": "99"}).steps == 3
    assert ExploreState.from_query({"span": "99"}).span == 5.0
    many = ",".join(str(i) for i in range(40))
    assert len(ExploreState.from_query({"dims": many}).dims) == MAX_DIMS


def test_repeated_keys_take_the_first_value() -> None:
    assert ExploreState.from_query({"run": ["a", "b"], "dims": ["1", "2"]}).run == "a"


@pytest.mark.parametrize(("text", "base"), [
    ("item:7", Base("item", index=7)), ("prior:42", Base("prior", seed=42)), ("zero", Base()),
    ("item:x", Base()), ("prior:99999999999", Base()), (None, Base()),
])
def test_base_parse(text: str | None, base: Base) -> None:
    assert Base.parse(text) == base


def test_base_from_controls() -> None:
    assert str(Base.of("item", 5, None)) == "item:5"
    assert str(Base.of("prior", None, "3")) == "prior:3"
    assert str(Base.of("zero", 5, 5)) == "zero" and Base.of("item", 5.0, None).valid
    for bad in (None, "", -3, 2.5, "abc", 10**9):  # what a number box may hold: never silently item 0
        assert not Base.of("item", bad, None).valid and not Base.of("prior", None, bad if bad != 10**9 else -1).valid


def test_other_pages() -> None:
    factors = FactorsState(run="tiny", v="abc", est="mi_monte_carlo")
    assert FactorsState.from_query(parse_search(factors.to_query())) == factors
    assert FactorsState.from_query({"est": "other"}).est == "mi_gaussian"
    emb = EmbeddingState(run="tiny", v="abc", method="mi", n=300, color="attribute:thickness")
    assert EmbeddingState.from_query(parse_search(emb.to_query())) == emb
    assert EmbeddingState.from_query({"color": "<script>", "n": "1"}) == EmbeddingState(n=50)
    assert EmbeddingState.from_query({"color": "factor:shape<b>"}).color == ""  # the whole value must fit
    runs = RunsState(run="tiny", family="beta_tcvae", dataset="digits")
    assert RunsState.from_query(parse_search(runs.to_query())) == runs
    assert RunsState().href() == "/"


def test_with_version_and_explore_href() -> None:
    assert ExploreState(run="a", v="1").with_version("2").v == "2"
    assert explore_href("tiny", "ab", dims=(3,)) == ("/explore?run=tiny&v=ab&dims=3&steps=9&span=2.5&base=typical"
                                                      "&unit=prior")
    assert "base=item:17" in explore_href("tiny", "ab", base=Base("item", index=17))


def test_groups_round_trip_and_garbage() -> None:
    state = GroupsState(run="grouped", v="abc", dim=3, group="left arm", steps=5, span=1.5)
    query = state.to_query()
    assert query == "?run=grouped&v=abc&dim=3&group=left+arm&steps=5&span=1.5"
    assert GroupsState.from_query(parse_search(query)) == state and state.href() == "/groups" + query
    assert GroupsState.from_query({}) == GroupsState() and GroupsState().to_query() == "?steps=9&span=2.5"
    bad = GroupsState.from_query({"dim": "-1", "group": "<b>x</b>", "steps": "99", "span": "x"})
    assert bad == GroupsState(steps=15)
    assert GroupsState.from_query({"dim": "99999"}).dim is None
    assert GroupsState.from_query({"dim": "511"}).dim == 511 and GroupsState.from_query({"dim": "512"}).dim is None
    assert GroupsState.from_query({"dim": "²"}).dim is None and ExploreState.from_query({"dims": "²,1"}).dims == (1,)


def test_a_link_part_the_page_used_as_given_is_not_reported() -> None:
    query = {"run": "tiny", "dims": "3, 0,2", "steps": "07", "span": "2.50", "base": "item:007", "unit": "sd",
             "utm_source": "mail"}
    assert ExploreState.from_query(query).unused(query) == []
    assert EmbeddingState.from_query({"n": "500.0"}).unused({"n": "500.0"}) == []
    precise = {"z": "0.123456,1", "span": "2.12345"}  # used in full and written back in full
    state = ExploreState.from_query(precise)
    assert state.unused(precise) == []
    assert state.to_query() == "?steps=9&span=2.12345&base=typical&z=0.123456,1&unit=prior"
    assert ExploreState.from_query(parse_search(state.to_query())) == state  # a link made from a link is the same


@pytest.mark.parametrize(("query", "unused"), [
    ({"run": "Demo-VAE-Digits"}, ["run=Demo-VAE-Digits"]),
    ({"steps": "99", "span": "nan"}, ["steps=99", "span=nan"]),
    ({"dims": "3,x", "base": "prior:99999999999"}, ["dims=3,x", "base=prior:99999999999"]),
    ({"base": "prior:9999999999"}, ["base=prior:9999999999"]),  # clamped to 2**32 - 1
    ({"z": ",".join(["1e7"] * 30)}, ["z=" + ",".join(["1e7"] * 30)[:37] + "..."]),
    ({"unit": "parsecs", "v": "XYZ"}, ["v=XYZ", "unit=parsecs"]),
])
def test_a_link_part_the_page_could_not_use_is_reported(query: dict[str, str], unused: list[str]) -> None:
    assert ExploreState.from_query(query).unused(query) == unused


def test_every_page_reports_what_it_could_not_use() -> None:
    assert FactorsState.from_query({"est": "x"}).unused({"est": "x"}) == ["est=x"]
    assert EmbeddingState.from_query({"n": "2000000"}).unused({"n": "2000000"}) == ["n=2000000"]
    assert GroupsState.from_query({"dim": "-1"}).unused({"dim": "-1"}) == ["dim=-1"]
    assert RunsState.from_query({"family": "VAE"}).unused({"family": "VAE"}) == ["family=VAE"]
