"""BackendClient over httpx.MockTransport: paths, parameters, payloads, problems; ImageUrls."""

from __future__ import annotations

import httpx
import pytest
from fake_backend import PNG, VERSION, FakeBackend, problem

from frontend.api_client import BackendClient, BackendError, ImageUrls, make_client, problem_of
from frontend.config import FrontendSettings


def mock(handler: object) -> BackendClient:
    return BackendClient(httpx.Client(transport=httpx.MockTransport(handler), base_url="http://b"))  # type: ignore[arg-type]


def test_lists_and_details_are_typed(client: BackendClient) -> None:
    runs = client.runs()
    assert [r.run_id for r in runs] == ["tiny"] and runs[0].version == VERSION and runs[0].metrics is None
    run = client.run("tiny")
    assert run.config["hidden"] == [32] and run.history and run.history[-1]["step"] == 100
    assert client.families()[0].config_schema["properties"]["latent_dim"]["type"] == "integer"
    assert client.datasets()[0].n_items == 1797


def test_analysis_calls_send_their_parameters(client: BackendClient, backend: FakeBackend) -> None:
    factors = client.factors("tiny", VERSION)
    assert factors.order == [3, 2, 1, 0] and factors.topk and factors.topk[1].kept_mi == 0.90
    emb = client.embedding("tiny", "mi", 300, VERSION)
    assert emb.index == [484, 553, 917] and emb.attributes["thickness"][0] == 1.7
    assert client.traversal("tiny", "item:3", VERSION).base_z == [0.1, -0.2, 0.3, 4.0]
    sent = {path: query for _, path, query, _ in backend.calls}
    assert sent["/api/v1/runs/tiny/factors"] == {"v": VERSION}
    assert sent["/api/v1/runs/tiny/embedding"] == {"method": "mi", "n": "300", "v": VERSION}
    assert sent["/api/v1/runs/tiny/traversal"] == {"base": "item:3", "dims": "0", "steps": "2", "outputs": "false",
                                                   "v": VERSION}


def test_group_heatmap_and_a_dims_outputs(client: BackendClient, backend: FakeBackend) -> None:
    hm = client.group_heatmap("grouped", VERSION)
    assert hm.groups == ["head", "arm", "leg"] and hm.norms[1] == [0.0, 0.8, 0.0, 0.0] and hm.n_zero == 7
    assert hm.group_slices[2].start == 4 and hm.top_groups[0].groups == ["head", "leg"]
    tr = client.dim_traversal("grouped", 0, 3, 2.5, VERSION)
    assert tr.shape == [6] and tr.outputs and len(tr.outputs[0]) == 3 and len(tr.outputs[0][0]) == 6
    sent = {path: query for _, path, query, _ in backend.calls}
    assert sent["/api/v1/runs/grouped/groups/heatmap"] == {"v": VERSION}
    assert sent["/api/v1/runs/grouped/traversal"] == {"dims": "0", "steps": "3", "span": "2.5", "base": "zero",
                                                      "outputs": "true", "v": VERSION}
    with pytest.raises(BackendError) as caught:
        client.group_heatmap("tiny")
    assert caught.value.status == 409 and caught.value.is_a("no-groups") and not caught.value.is_a("not-found")
    assert "has no output groups" in caught.value.detail


def test_every_write_and_no_read_carries_the_write_header() -> None:
    """The backend refuses a write without a JSON body unless it carries X-Requested-With (a header a cross-site
    form cannot send): each write sends it, reads do not need it."""
    seen: dict[str, str | None] = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen[f"{request.method} {request.url.path}"] = request.headers.get("x-requested-with")
        job = {"job_id": "ab12", "kind": "train", "state": "queued", "progress": 0.0, "job_url": "/api/v1/jobs/ab12"}
        return httpx.Response(204 if request.method == "DELETE" and "runs" in request.url.path else 200, json={
            **job, "run_id": "r", "runs": []})

    client = mock(record)
    client.resume_run("r")
    client.evaluate("r")
    client.cancel_job("ab12")
    client.delete_run("r")
    client.runs()
    assert seen == {"POST /api/v1/runs/r/train": "factorscope", "POST /api/v1/runs/r/metrics": "factorscope",
                    "DELETE /api/v1/jobs/ab12": "factorscope", "DELETE /api/v1/runs/r": "factorscope",
                    "GET /api/v1/runs": None}


def test_create_run_posts_the_body(client: BackendClient, backend: FakeBackend) -> None:
    accepted = client.create_run("vae", "digits", {"latent_dim": 2}, {"steps": 10})
    assert (accepted.job_id, accepted.run_id) == ("ab12", "new-run")
    assert backend.calls[-1][:2] == ("POST", "/api/v1/runs")
    assert backend.calls[-1][3] == {"family": "vae", "dataset": "digits", "config": {"latent_dim": 2},
                                    "train": {"steps": 10}}
    job = client.job("ab12")
    assert job.state == "queued" and not job.finished


def test_a_problem_becomes_a_backend_error_with_its_detail(client: BackendClient) -> None:
    with pytest.raises(BackendError) as caught:
        client.run("nope")
    assert caught.value.status == 404 and caught.value.title == "Not Found" and "nope" in caught.value.detail
    with pytest.raises(BackendError) as caught:
        client.create_run("vae", "digits", {"latent_dim": 0}, {})
    assert caught.value.status == 422 and "latent_dim must be in 1..512" in caught.value.detail


def test_problem_extras_and_non_json_errors() -> None:
    err = problem_of(problem(409, "Conflict", "run 'x' is at version b, not a", current_version="b",
                             errors=[{"loc": ["query", "v"], "msg": "m"}]))
    assert err.current_version == "b" and err.errors[0]["msg"] == "m"
    html = problem_of(httpx.Response(502, text="<html><body>Bad gateway</body></html>"))
    assert html.status == 502 and html.title == "Bad Gateway" and "Bad gateway" in html.detail
    fastapi_default = problem_of(httpx.Response(422, json={"detail": [{"msg": "field required"}]}))
    assert fastapi_default.detail == "field required"


def test_unreachable_and_slow_backends_are_problems_too() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(BackendError) as caught:
        mock(refuse).runs()
    assert caught.value.status == 503 and caught.value.title == "Backend unreachable"
    assert "http://b" in caught.value.detail and "is it running" in caught.value.detail
    with pytest.raises(BackendError) as caught:
        mock(slow).runs()
    assert caught.value.status == 504 and "try again" in caught.value.detail and "/api/v1" not in caught.value.detail


def test_every_4xx_and_a_200_that_is_not_json_are_backend_errors() -> None:
    with pytest.raises(BackendError) as caught:  # 400 is the first error status
        mock(lambda request: problem(400, "Bad Request", "the body could not be read")).runs()
    assert caught.value.status == 400 and caught.value.detail == "the body could not be read"
    with pytest.raises(BackendError) as caught:  # a proxy's HTML page where JSON was expected
        mock(lambda request: httpx.Response(200, text="<html>login</html>")).runs()
    assert caught.value.status == 502 and "FACTORSCOPE_BACKEND_URL" in caught.value.detail
    assert "/api/v1" not in caught.value.detail  # what to do, not which endpoint failed


def test_pngs_and_fetch(client: BackendClient, backend: FakeBackend) -> None:
    assert client.traversal_png("tiny", {"dims": [0, 1], "steps": 5}) == PNG
    assert client.fetch("/api/v1/runs/tiny/decode.png?z=0,0,0,0") == PNG
    assert backend.calls[-1][1:3] == ("/api/v1/runs/tiny/decode.png", {"z": "0,0,0,0"})  # the query as given
    with pytest.raises(BackendError, match="expected a path under /api/v1"):
        client.fetch("http://elsewhere/x")


def test_image_urls_are_absolute_and_readable() -> None:
    urls = ImageUrls("http://localhost:8000/")
    url = urls.traversal("tiny", {"dims": [3, 0], "steps": 9, "span": 2.5, "base": "item:12", "span_mode": None,
                                  "v": VERSION})
    assert url == f"http://localhost:8000/api/v1/runs/tiny/traversal.png?dims=3,0&steps=9&span=2.5&base=item:12&v={VERSION}"
    assert urls.decode("tiny", [0.1234, -2.0], None) == "http://localhost:8000/api/v1/runs/tiny/decode.png?z=0.123,-2"
    assert urls.item("digits", 7) == "http://localhost:8000/api/v1/datasets/digits/items/7.png"
    assert urls.path_of(url) == f"/api/v1/runs/tiny/traversal.png?dims=3,0&steps=9&span=2.5&base=item:12&v={VERSION}"
    assert urls.path_of("http://evil.example/api/v1/runs") is None


def test_make_client_uses_the_settings() -> None:
    client = make_client(FrontendSettings(backend_url="http://api:9000/", timeout_s=7, connect_timeout_s=2))
    assert str(client.http.base_url) == "http://api:9000" and client.http.timeout.read == 7
    assert client.http.timeout.connect == 2


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORSCOPE_BACKEND_URL", "http://backend:8000")
    monkeypatch.setenv("FACTORSCOPE_UI_PORT", "9050")
    settings = FrontendSettings()
    assert settings.public_url == "" and settings.ui_port == 9050  # images through the dashboard's own proxy
    monkeypatch.setenv("FACTORSCOPE_PUBLIC_BACKEND_URL", "http://localhost:8000/")
    assert FrontendSettings().public_url == "http://localhost:8000"
    monkeypatch.setenv("FACTORSCOPE_BACKEND_URL", "backend:8000")
    with pytest.raises(ValueError, match="expected an http"):
        FrontendSettings()
