"""Traversal (PNG and JSON), decode (JSON and PNG) and reconstruct: happy paths, reproducible bytes,
ETag / 304 without work, cache headers, and every bad input as a 4xx problem."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from backend.config import Settings
from backend.main import create_app
from backend.runs import load_run
from models.datasets import get_dataset

API = "/api/v1"
RUN = "tiny"
K = 4


def png_size(content: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(content)).size


def cells(n: int, side: int = 32, gap: int = 2) -> int:
    return n * (side + gap) + gap


def test_traversal_png_is_a_dims_by_steps_grid(client: TestClient) -> None:
    r = client.get(f"{API}/runs/{RUN}/traversal.png")  # default: the first min(K, 10) dims, 9 steps
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert png_size(r.content) == (cells(9), cells(K))
    r = client.get(f"{API}/runs/{RUN}/traversal.png?dims=2,0&steps=5&span=3&span_mode=abs&base=item:10")
    assert r.status_code == 200 and png_size(r.content) == (cells(5), cells(2))


def test_traversal_json_numbers(client: TestClient) -> None:
    body = client.get(f"{API}/runs/{RUN}/traversal?dims=1,3&steps=5&span=2").json()
    version = client.get(f"{API}/runs/{RUN}").json()["version"]
    assert body["run_id"] == RUN and body["version"] == version
    assert body["base_z"] == [0.0] * K and body["shape"] == [1, 8, 8]
    assert body["values"] == [[-2.0, -1.0, 0.0, 1.0, 2.0]] * 2  # zero base, prior sd 1
    outputs = np.array(body["outputs"])
    assert outputs.shape == (2, 5, 64) and ((outputs >= 0) & (outputs <= 1)).all()
    assert not np.allclose(outputs[0, 0], outputs[0, -1])  # the dim changes the output


def test_item_base_uses_the_posterior_sd(client: TestClient, trained_home: Path) -> None:
    model, _ = load_run(trained_home, RUN)
    with torch.inference_mode():
        mu, logvar = model.encode(torch.from_numpy(get_dataset("digits").items(np.array([7])))).gaussian
    sd = client.get(f"{API}/runs/{RUN}/traversal?dims=0&steps=3&span=1&base=item:7&outputs=false").json()
    ab = client.get(f"{API}/runs/{RUN}/traversal?dims=0&steps=3&span=1&base=item:7&span_mode=abs&outputs=false")
    centre = sd["base_z"][0]
    assert sd["values"][0][1] == pytest.approx(centre, abs=1e-6) and ab.json()["base_z"] == sd["base_z"]
    assert ab.json()["values"][0] == pytest.approx([centre - 1, centre, centre + 1], abs=1e-6)
    assert centre == pytest.approx(float(mu[0, 0]), abs=1e-6)
    assert sd["values"][0][2] - centre == pytest.approx(float(torch.exp(0.5 * logvar[0, 0])), rel=1e-5)
    assert sd["outputs"] is None


def test_each_row_moves_its_own_dim_from_the_base_and_decodes_like_decode(client: TestClient,
                                                                         trained_home: Path) -> None:
    model, _ = load_run(trained_home, RUN)
    with torch.inference_mode():
        mu, logvar = (t[0].double().numpy() for t in model.encode(torch.from_numpy(get_dataset("digits").items(
            np.array([7])))).gaussian)
    body = client.get(f"{API}/runs/{RUN}/traversal?dims=2,0&steps=3&span=1&base=item:7").json()
    sd = np.exp(0.5 * logvar)
    np.testing.assert_allclose(body["base_z"], mu, atol=1e-6)
    for row, d in zip(body["values"], (2, 0), strict=True):  # row r: dim dims[r] at centre -1, 0, +1 sd of it
        np.testing.assert_allclose(row, [mu[d] - sd[d], mu[d], mu[d] + sd[d]], rtol=1e-5, atol=1e-6)
    cells = []  # the base point with one dim replaced, row-major over (dim, step)
    for row, d in zip(body["values"], (2, 0), strict=True):
        for value in row:
            z = list(body["base_z"])
            z[d] = value
            cells.append(z)
    decoded = np.array(client.post(f"{API}/runs/{RUN}/decode", json={"z": cells}).json()["outputs"])
    np.testing.assert_allclose(np.array(body["outputs"]).reshape(6, -1), decoded, atol=1e-6)


def test_the_limits_themselves_are_allowed(client: TestClient) -> None:
    assert client.get(f"{API}/runs/{RUN}/traversal.png?steps=50&dims=0,1,2,3,0,1,2,3").status_code == 200  # 400
    assert client.get(f"{API}/runs/{RUN}/traversal.png?steps=65&dims=0").status_code == 200  # max_steps
    assert client.get(f"{API}/runs/{RUN}/reconstruct.png?items=" + ",".join(["0"] * 64)).status_code == 200


def test_same_request_same_bytes_also_for_seeded_prior_bases(client: TestClient, trained_home: Path,
                                                              settings_for: Callable[..., Settings]) -> None:
    urls = [f"{API}/runs/{RUN}/traversal.png?base=prior:7", f"{API}/runs/{RUN}/traversal.png?base=item:3&dims=1,2",
            f"{API}/runs/{RUN}/decode.png?z=0.5,-1,2,0", f"{API}/runs/{RUN}/reconstruct.png?items=4,5"]
    first = [client.get(u).content for u in urls]
    assert first == [client.get(u).content for u in urls]
    with TestClient(create_app(settings_for(trained_home))) as other:  # a fresh app: nothing cached
        assert first == [other.get(u).content for u in urls]
    assert client.get(f"{API}/runs/{RUN}/traversal.png?base=prior:8").content != first[0]
    z7 = client.get(f"{API}/runs/{RUN}/traversal?base=prior:7&outputs=false").json()["base_z"]
    assert z7 == client.get(f"{API}/runs/{RUN}/traversal?base=prior:7&outputs=false").json()["base_z"]
    assert z7 != [0.0] * K


def test_etag_and_304_skip_all_work(client: TestClient) -> None:
    url = f"{API}/runs/{RUN}/traversal.png?dims=0,1&steps=4"
    first = client.get(url)
    tag = first.headers["etag"]
    assert tag.startswith('"') and len(tag) == 66 and first.headers["cache-control"] == "no-cache"
    executor = client.app.state.executor
    forwards = executor.forwards
    for header in (tag, f'"other", {tag}', f"W/{tag}", "*"):
        again = client.get(url, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert executor.forwards == forwards  # no decode happened
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(f"{API}/runs/{RUN}/traversal.png?dims=0,1&steps=5").headers["etag"] != tag
    # equivalent spellings of the same parameters share the ETag
    assert client.get(f"{API}/runs/{RUN}/traversal.png?dims=0,1&steps=4&span=2.50").headers["etag"] == tag


def test_versioned_links_are_immutable(client: TestClient, problem: Callable[..., Any]) -> None:
    version = client.get(f"{API}/runs/{RUN}").json()["version"]
    for url in ("traversal.png?dims=0", "decode.png?z=0,0,0,0", "reconstruct.png?items=1"):
        r = client.get(f"{API}/runs/{RUN}/{url}&v={version}")
        assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=31536000, immutable"
        hit = client.get(f"{API}/runs/{RUN}/{url}&v={version}", headers={"If-None-Match": r.headers["etag"]})
        assert hit.status_code == 304 and hit.headers["cache-control"] == r.headers["cache-control"]
        unversioned = client.get(f"{API}/runs/{RUN}/{url}")  # the run may change under it: ask each time
        assert unversioned.headers["cache-control"] == "no-cache" and unversioned.headers["etag"] == r.headers["etag"]
        hit = client.get(f"{API}/runs/{RUN}/{url}", headers={"If-None-Match": r.headers["etag"]})
        assert hit.status_code == 304 and hit.headers["cache-control"] == "no-cache"
    body = problem(client.get(f"{API}/runs/{RUN}/traversal.png?v=0123456789ab"), 409, version, "0123456789ab")
    assert body["current_version"] == version
    problem(client.get(f"{API}/runs/{RUN}/traversal?v=0123456789ab"), 409, "expected v=")


def test_decode_json_and_png(client: TestClient) -> None:
    r = client.post(f"{API}/runs/{RUN}/decode", json={"z": [[0, 0, 0, 0], [1, -1, 0.5, 2]]})
    body = r.json()
    assert r.status_code == 200 and body["run_id"] == RUN and body["shape"] == [1, 8, 8]
    outputs = np.array(body["outputs"])
    assert outputs.shape == (2, 64) and not np.allclose(outputs[0], outputs[1])
    trav = client.get(f"{API}/runs/{RUN}/traversal?dims=0&steps=3&span=1").json()
    assert np.allclose(trav["outputs"][0][1], outputs[0], atol=1e-6)  # the traversal's centre is z = 0
    png = client.get(f"{API}/runs/{RUN}/decode.png?z=1,-1,0.5,2")
    assert png.status_code == 200 and png_size(png.content) == (cells(1), cells(1))


def test_reconstruct_png_has_originals_over_reconstructions(client: TestClient) -> None:
    r = client.get(f"{API}/runs/{RUN}/reconstruct.png?items=1,2,3")
    assert r.status_code == 200 and png_size(r.content) == (cells(3), cells(2))
    pixels = np.asarray(Image.open(io.BytesIO(r.content)).convert("L"), dtype=np.float64)
    top, bottom = pixels[2:34, 2:34], pixels[36:68, 2:34]
    assert np.corrcoef(top.ravel(), bottom.ravel())[0, 1] > 0.3  # the reconstruction resembles the item


@pytest.mark.parametrize(("url", "status", "words"), [
    ("runs/nope/traversal.png", 404, ["no run 'nope'"]),
    ("runs/nope/decode.png?z=0,0,0,0", 404, ["no run 'nope'"]),
    ("runs/tiny/traversal.png?steps=-3", 422, ["query.steps", "greater than or equal to 2"]),
    ("runs/tiny/traversal.png?steps=1000000000000", 422, ["steps is 1000000000000", "max_steps = 65"]),
    ("runs/tiny/traversal.png?steps=66", 422, ["max_steps = 65"]),
    ("runs/tiny/traversal.png?steps=65&dims=0,1,2,3,0,1,2", 422, ["max_traversal_cells = 400", "7 x 65"]),
    ("runs/tiny/traversal.png?steps=abc", 422, ["valid integer"]),
    ("runs/tiny/traversal.png?dims=4", 422, ["dims [4] are out of range", "0..3"]),
    ("runs/tiny/traversal.png?dims=0,-1", 422, ["comma-separated non-negative integers"]),
    ("runs/tiny/traversal.png?dims=", 422, ["comma-separated non-negative integers"]),
    ("runs/tiny/traversal.png?span=nan", 422, ["finite number"]),
    ("runs/tiny/traversal.png?span=inf", 422, ["finite number"]),
    ("runs/tiny/traversal.png?span=0", 422, ["greater than 0"]),
    ("runs/tiny/traversal.png?span_mode=log", 422, ["'sd', 'abs' or 'prior'"]),
    ("runs/tiny/traversal.png?base=item:1797", 422, ["items [1797] are out of range"]),
    ("runs/tiny/traversal.png?base=prior:-1", 422, ["item:<index>, prior:<seed> or zero"]),
    ("runs/tiny/traversal.png?base=mean", 422, ["item:<index>, prior:<seed> or zero"]),
    ("runs/tiny/traversal?steps=100", 422, ["max_steps"]),
    ("runs/tiny/decode.png?z=0,0,0", 422, ["expected 4 numbers", "got 3"]),
    ("runs/tiny/decode.png?z=0,0,0,nan", 422, ["finite numbers"]),
    ("runs/tiny/decode.png?z=0,0,0,inf", 422, ["finite numbers"]),
    ("runs/tiny/decode.png?z=0,0,0,1e999", 422, ["finite numbers"]),
    ("runs/tiny/decode.png?z=a,b,c,d", 422, ["comma-separated finite numbers"]),
    ("runs/tiny/decode.png", 422, ["query.z", "Field required"]),
    ("runs/tiny/reconstruct.png?items=1,1797", 422, ["out of range", "0..1796"]),
    ("runs/tiny/reconstruct.png?items=" + ",".join(["0"] * 65), 422, ["max_items = 64"]),
    ("runs/tiny/reconstruct.png?items=x", 422, ["comma-separated non-negative integers"]),
    ("runs/tiny/traversal.png?v=NOTHEX", 422, ["run version"]),
    ("runs/tiny/traversal.png?dims=0&dims=1", 422, ["query.dims: given 2 times", "expected it once"]),
    ("runs/tiny/traversal.png?dim=3", 422, ["query.dim", "Extra inputs are not permitted"]),  # a typo: no default
    ("runs/tiny/decode.png?z=0,0,0,0&v=0123456789ab", 409, ["expected v="]),
])
def test_bad_query_input_is_a_4xx_problem(client: TestClient, problem: Callable[..., Any], url: str, status: int,
                                          words: list[str]) -> None:
    problem(client.get(f"{API}/{url}"), status, *words)


@pytest.mark.parametrize(("body", "words"), [
    ({"z": [[0, 0, 0]]}, ["body.z[0]", "expected 4 numbers", "got 3"]),
    ({"z": [[0, 0, 0, 0], [0, 0, 0, 0, 0]]}, ["body.z[1]", "expected 4 numbers"]),
    ({"z": [[0, 0, 0, 1e39]]}, ["finite numbers"]),  # overflows float32
    ({"z": [[0, 0, 0, "a"]]}, ["valid number"]),
    ({"z": [[0, 0, 0, "1"]]}, ["body.z.0.3", "valid number"]),  # a string is not a number, however it reads
    ({"z": [[0, 0, 0, True]]}, ["valid number"]),
    ({"z": []}, ["at least 1 item"]),
    ({"z": [[]]}, ["at least 1 item"]),
    ({"z": [[0, 0, 0, 0]] * 1025}, ["max_decode_batch = 1024"]),
    ({"x": [[0, 0, 0, 0]]}, ["body.z", "Field required"]),
    ([1, 2], ["valid dictionary"]),
    ({"z": [[0, 0, 0, 0]], "zz": 1}, ["body.zz", "Extra inputs are not permitted"]),
])
def test_bad_decode_bodies_are_422(client: TestClient, problem: Callable[..., Any], body: Any,
                                   words: list[str]) -> None:
    problem(client.post(f"{API}/runs/{RUN}/decode", json=body), 422, *words)


@pytest.mark.parametrize("raw", [b'{"z": [[NaN, 0, 0, 0]]}', b'{"z": [[Infinity, 0, 0, 0]]}', b'{"z": [[0, 0',
                                 b"not json", b""])
def test_non_finite_and_malformed_json_are_422(client: TestClient, problem: Callable[..., Any], raw: bytes) -> None:
    problem(client.post(f"{API}/runs/{RUN}/decode", content=raw, headers={"content-type": "application/json"}), 422)


@pytest.mark.timeout(60)  # the old pattern backtracked for hours on this ~400-character query
def test_a_long_non_number_list_is_refused_without_backtracking(client: TestClient,
                                                                problem: Callable[..., Any]) -> None:
    z = ",".join(["1" * 20] * 20) + "x"
    problem(client.get(f"{API}/runs/{RUN}/decode.png?z={z}"), 422, "comma-separated finite numbers")


def test_latents_so_far_out_that_the_decoder_overflows_are_422_never_null(client: TestClient,
                                                                         problem: Callable[..., Any]) -> None:
    """Finite float32 values near 3e38 make inf - inf (NaN) in the first layer for some sign patterns."""
    corners = [[s * 3e38 for s in signs] for signs in itertools.product((1, -1), repeat=K)]
    answers = [client.post(f"{API}/runs/{RUN}/decode", json={"z": [z]}) for z in corners]
    assert {r.status_code for r in answers} == {200, 422}  # both kinds of corner occur
    for z, r in zip(corners, answers, strict=True):
        if r.status_code == 200:
            assert None not in r.json()["outputs"][0]
        else:
            problem(r, 422, "body.z", "too far out to decode")
            png = client.get(f"{API}/runs/{RUN}/decode.png", params={"z": ",".join(map(str, z))})
            problem(png, 422, "query.z", "too far out to decode")


def test_decode_takes_a_version_and_only_json(client: TestClient, problem: Callable[..., Any]) -> None:
    version = client.get(f"{API}/runs/{RUN}").json()["version"]
    assert client.post(f"{API}/runs/{RUN}/decode?v={version}", json={"z": [[0, 0, 0, 0]]}).status_code == 200
    problem(client.post(f"{API}/runs/{RUN}/decode?v=0123456789ab", json={"z": [[0, 0, 0, 0]]}), 409, "expected v=")
    problem(client.get(f"{API}/runs/{RUN}?v=0123456789ab"), 409, f"expected v={version}")
    problem(client.post(f"{API}/runs/{RUN}/decode", content=b'{"z": [[0, 0, 0, 0]]}',
                        headers={"content-type": "text/plain"}), 415, "text/plain", "application/json")
    problem(client.post(f"{API}/runs/{RUN}/decode", data={"z": "0"}), 415, "application/x-www-form-urlencoded")
    problem(client.post(f"{API}/runs/{RUN}/decode", content=b'{"z": [[0, 0, 0, 0]]}'), 415, "of no stated type")
    key = "k" * 20_000
    repeated = client.get(f"{API}/runs/{RUN}/traversal.png?{key}=1&{key}=2")
    problem(repeated, 422, "given 2 times")
    assert len(repeated.content) < 2_000  # the field name is quoted cut short


def test_a_long_if_none_match_list_is_read_not_refused(client: TestClient) -> None:
    url = f"{API}/runs/{RUN}/traversal.png?dims=0&steps=3"
    tag = client.get(url).headers["etag"]
    held = ", ".join([f'"{i:064x}"' for i in range(40)])  # a cache holding 40 other versions: ~2,700 characters
    assert client.get(url, headers={"If-None-Match": held}).status_code == 200
    assert client.get(url, headers={"If-None-Match": f"{held}, {tag}"}).status_code == 304
