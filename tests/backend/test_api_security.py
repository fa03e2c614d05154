"""No cross-site or rebinding writes: a Host allow-list (400 problem), writes that need a JSON body or a header a
cross-site form cannot send (403, nothing queued or deleted), and CORS closed unless configured."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN, TEST_HOST
from fastapi.testclient import TestClient
from pydantic import ValidationError

from backend.api.host_check import host_allowed, host_name, is_local_address
from backend.config import Settings
from backend.main import create_app

API = "/api/v1"
EVIL = "https://attacker.example"
WRITE = {"X-Requested-With": "factorscope"}
FORM_TYPES = ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]


def test_an_attacker_host_is_a_400_problem_naming_the_host_and_the_setting(client: TestClient,
                                                                           problem: Callable[..., Any]) -> None:
    for path in (f"{API}/health", f"{API}/runs", "/openapi.json"):
        body = problem(client.get(path, headers={"host": "attacker.example"}), 400, "'attacker.example'",
                       "FACTORSCOPE_ALLOWED_HOSTS")
        assert body["host"] == "attacker.example" and body["type"].endswith("host-not-allowed")
    problem(client.post(f"{API}/runs/{RUN}/metrics", headers={"host": "attacker.example:8000", **WRITE}), 400,
            "'attacker.example:8000'")
    problem(client.get(f"{API}/health", headers={"host": "localhost:8000@attacker.example"}), 400)


def test_by_default_only_loopback_names_are_served_not_testserver(trained_home: Path,
                                                                   problem: Callable[..., Any]) -> None:
    """The default list is localhost, 127.0.0.1 and [::1] with any port: TestClient's own Host is refused, so the
    test settings (conftest.make_settings) allow it explicitly."""
    assert Settings(home=trained_home).allowed_hosts == ["localhost", "127.0.0.1", "[::1]"]
    with TestClient(create_app(Settings(home=trained_home, database_url=f"sqlite:///{trained_home}/sec.db"))) as c:
        body = problem(c.get(f"{API}/health"), 400, f"'{TEST_HOST}'", "localhost, 127.0.0.1, [::1]")
        assert body["setting"] == "FACTORSCOPE_ALLOWED_HOSTS"
        for host in ("localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000", "LOCALHOST:80"):
            assert c.get(f"{API}/health", headers={"host": host}).status_code == 200, host


def test_listed_names_and_subdomains_and_the_local_address() -> None:
    assert [host_name(h) for h in ("Lab.Example.org:8000", "[::1]", "[::1]:80", "a:b", "", "x@y")] == [
        "lab.example.org", "[::1]", "[::1]", "", "", ""]
    assert host_allowed("api.lab.org", ["*.lab.org"]) and not host_allowed("evillab.org", ["*.lab.org"])
    assert not host_allowed("lab.org", ["*.lab.org"]) and host_allowed("anything", ["*"])
    # a server bound to one address answers for that address (an IP literal, never a name: names can be rebound)
    assert is_local_address("10.0.0.5", ("10.0.0.5", 8000)) and is_local_address("[::1]", ("::1", 8000))
    assert not is_local_address("10.0.0.6", ("10.0.0.5", 8000)) and not is_local_address("testserver",
                                                                                          ("testserver", 80))


def test_allowed_hosts_and_cors_origins_come_from_comma_separated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORSCOPE_ALLOWED_HOSTS", "backend, Lab.Example.org,*.lab.org")
    monkeypatch.setenv("FACTORSCOPE_CORS_ORIGINS", "https://lab.example.org:8050")
    settings = Settings()
    assert settings.allowed_hosts == ["backend", "lab.example.org", "*.lab.org"]
    assert settings.cors_origins == ["https://lab.example.org:8050"]
    for bad in ("http://lab.example.org", "lab.example.org/x", ""):
        monkeypatch.setenv("FACTORSCOPE_ALLOWED_HOSTS", bad)
        with pytest.raises(ValidationError, match="expected host names without port or scheme"):
            Settings()
    monkeypatch.setenv("FACTORSCOPE_ALLOWED_HOSTS", "localhost")
    monkeypatch.setenv("FACTORSCOPE_CORS_ORIGINS", "lab.example.org")
    with pytest.raises(ValidationError, match="expected origins like"):
        Settings()


@pytest.mark.parametrize("content_type", FORM_TYPES)
def test_an_empty_cross_site_form_post_changes_nothing(fresh_home: Path, settings_for: Callable[..., Settings],
                                                       problem: Callable[..., Any], content_type: str) -> None:
    """What a form on another site can send (a simple content type, no custom header, the user's browser as the
    client) to every body-less write: each a 403 naming the header, and afterwards the job table and the runs are
    as they were."""
    with TestClient(create_app(settings_for(fresh_home))) as c:  # a plain client: no write header of its own
        made = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
        stopped = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
        assert c.delete(stopped["job_url"], headers=WRITE).json()["state"] == "cancelled"
        jobs_before = c.get(f"{API}/jobs").json()["jobs"]
        form = {"content-type": content_type, "origin": EVIL, "content-length": "0"}
        for method, path in (("POST", f"runs/{stopped['run_id']}/train"), ("POST", f"runs/{RUN}/metrics"),
                             ("DELETE", f"jobs/{made['job_id']}"), ("DELETE", f"runs/{RUN}"),
                             ("DELETE", f"runs/{made['run_id']}")):
            problem(c.request(method, f"{API}/{path}", headers=form), 403, "X-Requested-With", "form")
        assert c.get(f"{API}/jobs").json()["jobs"] == jobs_before  # nothing queued, nothing cancelled
        assert c.get(f"{API}/runs/{RUN}").json()["status"] == "ready"
        assert c.get(f"{API}/runs/{made['run_id']}").json()["status"] == "training"
        assert c.get(f"{API}/runs/{stopped['run_id']}").json()["status"] == "cancelled"


def test_the_same_writes_pass_with_the_header_or_a_json_type(fresh_home: Path,
                                                            settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        made = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
        assert c.delete(made["job_url"], headers={"content-type": "application/json"}).status_code == 200
        resumed = c.post(f"{API}/runs/{made['run_id']}/train", headers={"X-Requested-With": "anything"})
        assert resumed.status_code == 202
        assert c.post(f"{API}/runs/{RUN}/metrics", headers=WRITE).status_code == 202
        assert c.delete(f"{API}/runs/{made['run_id']}", headers=WRITE).status_code == 204


def test_an_empty_write_header_is_refused_even_beside_a_json_body(client: TestClient,
                                                                  problem: Callable[..., Any]) -> None:
    before = client.get(f"{API}/jobs").json()["jobs"]
    problem(client.post(f"{API}/runs/{RUN}/metrics", headers={"X-Requested-With": " "}), 403, "is empty")
    problem(client.post(f"{API}/runs/{RUN}/metrics", json={}, headers={"X-Requested-With": ""}), 403, "is empty")
    assert client.get(f"{API}/jobs").json()["jobs"] == before


def test_a_form_body_is_refused_too_and_queues_nothing(client: TestClient, problem: Callable[..., Any]) -> None:
    before = client.get(f"{API}/jobs").json()["jobs"]
    problem(client.post(f"{API}/runs", data={"family": "vae", "dataset": "bars"}, headers={"origin": EVIL}), 415,
            "application/x-www-form-urlencoded")
    problem(client.post(f"{API}/runs/{RUN}/metrics", content=b"x=1", headers={"content-type": "text/plain"}), 415,
            "text/plain")
    problem(client.post(f"{API}/runs/{RUN}/train", content=b"x=1", headers={"content-type": "text/plain"}), 415,
            "text/plain")  # its body (an optional priority) is JSON only
    problem(client.post(f"{API}/label-sessions/nosuch/close", content=b"x=1",
                        headers={"content-type": "text/plain", "X-Requested-With": "1"}), 422, "takes no body")
    assert client.get(f"{API}/jobs").json()["jobs"] == before


def test_cors_is_closed_unless_configured(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    preflight = {"origin": EVIL, "access-control-request-method": "POST",
                 "access-control-request-headers": "x-requested-with"}
    with TestClient(create_app(settings_for(fresh_home))) as c:
        for response in (c.options(f"{API}/runs/{RUN}/train", headers=preflight),
                         c.get(f"{API}/runs", headers={"origin": EVIL})):
            assert "access-control-allow-origin" not in response.headers, response.headers
    lab = "https://lab.example.org"
    with TestClient(create_app(settings_for(fresh_home, cors_origins=[lab]))) as c:
        allowed = c.options(f"{API}/runs/{RUN}/train", headers={**preflight, "origin": lab})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == lab
        assert "x-requested-with" in allowed.headers["access-control-allow-headers"].lower()
        other = c.options(f"{API}/runs/{RUN}/train", headers=preflight)
        assert "access-control-allow-origin" not in other.headers


def test_openapi_documents_the_write_header_and_its_403(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def header(path: str, verb: str) -> dict[str, Any]:
        return next(p for p in paths[path][verb]["parameters"] if p["name"] == "X-Requested-With")

    for path, verb in ((f"{API}/runs/{{run_id}}", "delete"), (f"{API}/label-sessions/{{session_id}}/close", "post"),
                       (f"{API}/jobs/{{job_id}}", "delete")):
        assert header(path, verb)["required"] and header(path, verb)["in"] == "header", (path, verb)
        assert "403" in paths[path][verb]["responses"]
    for path in (f"{API}/runs", f"{API}/runs/{{run_id}}/metrics", f"{API}/runs/{{run_id}}/train"):  # a JSON body does
        assert not header(path, "post")["required"] and "403" in paths[path]["post"]["responses"]
    assert all(p["name"] != "X-Requested-With" for p in paths[f"{API}/runs"]["get"].get("parameters", []))
