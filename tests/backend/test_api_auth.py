"""Who may do what (issue 19 item 1), on the in-process app with auth on: every write refused without a token (401
with WWW-Authenticate: Bearer), a token whose role is too small refused naming the role needed (403), a revoked or
unknown token refused (401), label-session writes open to labellers, reads open unless FACTORSCOPE_AUTH_READS, whoami;
and when auth is on at all (on, off, or auto: beyond loopback)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RUN, make_settings, serve
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from test_api_serve import ROOT, free_port, wait_healthy

from backend.auth import LABELLING_PREFIX, TokenStore, auth_required, authorized_request, required_role, token_name
from backend.config import Settings

API = "/api/v1"
WRITE_METHODS = ("post", "put", "patch", "delete")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app_on(fresh_home: Path) -> Iterator[TestClient]:
    """Auth on, on a copy of the trained home (admins may change it), with a probe route under the label sessions
    guarded by the real dependency, answering who made the request (as the label routes record it)."""
    client = serve(make_settings(fresh_home, auth="on"))
    probe = APIRouter(dependencies=[Depends(authorized_request)])

    @probe.post("/label-sessions/{session_id}/auth-probe")
    def label(session_id: str, request: Request) -> dict[str, Any]:
        return {"session_id": session_id, "labeller": token_name(request)}

    client.app.include_router(probe, prefix=API)
    with client as c:
        yield c


@pytest.fixture
def tokens(app_on: TestClient) -> dict[str, str]:
    """One token of each role, by role."""
    store = TokenStore(app_on.app.state.jobs.engine)
    return {role: store.create(f"{role}-1", role)[1] for role in ("viewer", "labeller", "admin")}


def write_operations(client: TestClient) -> list[tuple[str, str]]:
    """(method, concrete path) of every write the API documents; path parameters filled with the run's id."""
    paths = client.get("/openapi.json").json()["paths"]
    return [(verb.upper(), re.sub(r"\{[^}]+\}", RUN, template)) for template, operations in paths.items()
            for verb in operations if verb in WRITE_METHODS]


def test_every_write_is_refused_without_a_token_and_nothing_changes(app_on: TestClient,
                                                                    problem: Callable[..., Any]) -> None:
    writes = write_operations(app_on)
    assert {("POST", f"{API}/runs"), ("DELETE", f"{API}/runs/{RUN}"), ("POST", f"{API}/runs/{RUN}/train"),
            ("POST", f"{API}/runs/{RUN}/metrics"), ("DELETE", f"{API}/jobs/{RUN}")} <= set(writes)
    for method, path in writes:
        labelling = path.startswith(LABELLING_PREFIX) or "/item-sets" in path  # (the probe route is one)
        needed = "labeller" if labelling else "admin"
        body = problem(app_on.request(method, path, json={}), 401, f"needs a token of the role {needed}",
                       "Authorization: Bearer", "factorscope token create")
        assert body["type"].endswith("/unauthorized")
    response = app_on.delete(f"{API}/runs/{RUN}")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="factorscope"'
    assert app_on.get(f"{API}/runs/{RUN}").status_code == 200  # reads stay open, and the run is still there
    assert app_on.get(f"{API}/jobs").json()["jobs"] == []  # nothing queued


def test_roles_viewer_labeller_admin(app_on: TestClient, tokens: dict[str, str], problem: Callable[..., Any]) -> None:
    for role in ("viewer", "labeller"):
        body = problem(app_on.post(f"{API}/runs/{RUN}/metrics", headers=bearer(tokens[role])), 403,
                       f"has the role {role}", "needs the role admin")
        assert body["required_role"] == "admin" and body["role"] == role
        assert body["type"].endswith("/role-too-small")
        problem(app_on.delete(f"{API}/runs/{RUN}", headers=bearer(tokens[role])), 403, "admin")
    assert app_on.get(f"{API}/jobs").json()["jobs"] == []
    accepted = app_on.post(f"{API}/runs/{RUN}/metrics", headers=bearer(tokens["admin"]))
    assert accepted.status_code == 202, accepted.text
    assert [job["job_id"] for job in app_on.get(f"{API}/jobs").json()["jobs"]] == [accepted.json()["job_id"]]


def test_label_session_writes_need_a_labeller_and_record_its_name(app_on: TestClient, tokens: dict[str, str],
                                                                  problem: Callable[..., Any]) -> None:
    path = f"{API}/label-sessions/s1/auth-probe"
    problem(app_on.post(path), 401, "needs a token of the role labeller")
    body = problem(app_on.post(path, headers=bearer(tokens["viewer"])), 403, "needs the role labeller")
    assert body["required_role"] == "labeller"
    for role in ("labeller", "admin"):
        response = app_on.post(path, headers=bearer(tokens[role]))
        assert response.status_code == 200 and response.json() == {"session_id": "s1", "labeller": f"{role}-1"}


def test_the_label_routes_need_a_labeller(app_on: TestClient, tokens: dict[str, str],
                                          problem: Callable[..., Any]) -> None:
    skip = {"json": {"item": 0, "labeller": "someone"}}
    for method, path in ((("POST", f"{API}/label-sessions/nope/skip"), ("POST", f"{API}/label-sessions/nope/close"))):
        problem(app_on.request(method, path, **skip), 401, "needs a token of the role labeller")
        problem(app_on.request(method, path, headers=bearer(tokens["viewer"]), **skip), 403, "the role labeller")
        for role in ("labeller", "admin"):  # let through: the route itself answers (no such session)
            response = app_on.request(method, path, headers=bearer(tokens[role]), **skip)
            assert response.status_code not in (401, 403), (role, path, response.text)
    assert app_on.get(f"{API}/label-sessions").status_code == 200  # reads stay open


def test_the_path_decides_the_role_needed() -> None:
    for method in ("POST", "put", "PATCH", "DELETE"):
        assert required_role(method, LABELLING_PREFIX, False) == "labeller"
        assert required_role(method, f"{LABELLING_PREFIX}/abc/labels/3", False) == "labeller"
        assert required_role(method, f"{LABELLING_PREFIX}-x", False) == "admin"  # a prefix of a name is not below it
        assert required_role(method, f"{API}/runs/x", False) == "admin"
    assert required_role("GET", f"{LABELLING_PREFIX}/abc", False) is None
    assert required_role("GET", f"{API}/runs", True) == "viewer"
    assert required_role("GET", f"{API}/health", True) is None and required_role("GET", f"{API}/ready", True) is None


def test_a_revoked_unknown_or_malformed_token_is_a_401(app_on: TestClient, tokens: dict[str, str],
                                                       problem: Callable[..., Any]) -> None:
    store = TokenStore(app_on.app.state.jobs.engine)
    assert app_on.get(f"{API}/auth/whoami", headers=bearer(tokens["admin"])).status_code == 200
    store.revoke("admin-1")
    for headers in (bearer(tokens["admin"]), bearer("fs_" + "A" * 43)):
        for method, path in (("POST", f"{API}/runs/{RUN}/metrics"), ("GET", f"{API}/runs")):
            response = app_on.request(method, path, headers=headers)
            problem(response, 401, "unknown or revoked")
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="factorscope", error="invalid_token"'
    problem(app_on.post(f"{API}/runs/{RUN}/metrics", headers={"Authorization": "Basic YWxpY2U6eA=="}), 401,
            "not of the form 'Bearer <token>'")
    assert app_on.get(f"{API}/jobs").json()["jobs"] == []


def test_whoami(app_on: TestClient, tokens: dict[str, str], trained_home: Path, problem: Callable[..., Any]) -> None:
    assert app_on.get(f"{API}/auth/whoami", headers=bearer(tokens["labeller"])).json() == {
        "name": "labeller-1", "role": "labeller", "auth": True}
    problem(app_on.get(f"{API}/auth/whoami"), 401, "no token was given")
    with serve(make_settings(trained_home, auth="off")) as off:
        assert off.get(f"{API}/auth/whoami").json() == {"name": None, "role": "admin", "auth": False}


def test_reads_are_open_unless_closed_and_the_probes_always_are(fresh_home: Path,
                                                                problem: Callable[..., Any]) -> None:
    with serve(make_settings(fresh_home, auth="on", auth_reads=True)) as closed:
        viewer = TokenStore(closed.app.state.jobs.engine).create("ann", "viewer")[1]
        problem(closed.get(f"{API}/runs"), 401, "a read (FACTORSCOPE_AUTH_READS is on) needs a token of the role "
                "viewer")
        head = closed.head(f"{API}/runs/{RUN}")
        assert head.status_code == 401 and head.headers["WWW-Authenticate"].startswith("Bearer")
        assert closed.get(f"{API}/runs", headers=bearer(viewer)).status_code == 200
        assert closed.get(f"{API}/health").status_code == 200 and closed.get(f"{API}/ready").status_code == 200


def test_auth_is_on_beyond_loopback(fresh_home: Path, problem: Callable[..., Any]) -> None:
    auto = Settings(home=fresh_home)
    assert auto.auth == "auto" and not auth_required(auto)
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert not auth_required(auto.model_copy(update={"listen_host": host})), host
    for host in ("0.0.0.0", "::", "10.0.0.5", "lab.example.org"):
        assert auth_required(auto.model_copy(update={"listen_host": host})), host
    # started another way (uvicorn --host 0.0.0.0): a request that arrived beyond loopback needs a token too
    assert auth_required(auto, ("10.0.0.5", 8000)) and not auth_required(auto, ("127.0.0.1", 8000))
    assert not auth_required(auto, ("testserver", 80))  # not an address: the listen host decides
    assert auth_required(auto.model_copy(update={"auth": "on"})) and not auth_required(
        auto.model_copy(update={"auth": "off", "listen_host": "0.0.0.0"}), ("10.0.0.5", 8000))
    with serve(make_settings(fresh_home, listen_host="0.0.0.0")) as beyond:
        problem(beyond.post(f"{API}/runs/{RUN}/metrics"), 401)
    with serve(make_settings(fresh_home)) as loopback:  # make demo: 127.0.0.1, open
        assert loopback.post(f"{API}/runs/{RUN}/metrics").status_code == 202


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACTORSCOPE_AUTH", "on")
    monkeypatch.setenv("FACTORSCOPE_AUTH_READS", "true")
    monkeypatch.setenv("FACTORSCOPE_LISTEN_HOST", "0.0.0.0")
    settings = Settings(home=tmp_path)
    assert (settings.auth, settings.auth_reads, settings.listen_host) == ("on", True, "0.0.0.0")
    monkeypatch.setenv("FACTORSCOPE_AUTH", "maybe")
    with pytest.raises(ValueError, match="auth"):
        Settings(home=tmp_path)


def test_openapi_documents_the_token_and_the_401(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "fs_...",
        "description": "a token from `factorscope token create`; writes need one when auth is on"}
    for template, operations in doc["paths"].items():
        for verb, operation in operations.items():
            assert "401" in operation["responses"], (verb, template)
            assert operation["security"] == [{"token": []}, {}], (verb, template)  # optional: see auth/openapi.py


def test_a_real_server_with_auth_on_asks_for_a_token(fresh_home: Path) -> None:
    """``factorscope serve`` over loopback with FACTORSCOPE_AUTH=on (as compose sets it): its start-up line says so,
    a write without a token is a 401 and one with a token the CLI made is served."""
    port = free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(fresh_home), "FACTORSCOPE_AUTH": "on",
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{fresh_home}/real.db"}
    made = subprocess.run([sys.executable, "-m", "backend.cli", "token", "create", "--role", "admin", "--name", "op"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}{API}"
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        refused = httpx.post(f"{base}/runs/{RUN}/metrics", headers={"X-Requested-With": "factorscope"}, timeout=30)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        accepted = httpx.post(f"{base}/runs/{RUN}/metrics", timeout=30,
                              headers={**bearer(made.stdout.strip()), "X-Requested-With": "factorscope"})
        assert accepted.status_code == 202, accepted.text
        assert httpx.get(f"{base}/auth/whoami", headers=bearer(made.stdout.strip()), timeout=30).json()["name"] == "op"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "writes need a token (factorscope token create)" in err


def test_a_token_labels_only_as_itself(app_on: TestClient, tokens: dict[str, str],
                                      problem: Callable[..., Any]) -> None:
    alice = bearer(tokens["labeller"])
    for path, body in ((f"{API}/label-sessions/ab/skip", {"item": 0, "labeller": "bob"}),
                       (f"{API}/label-sessions/ab/labels", {"item": 0, "value": 1, "labeller": "bob"}),
                       (f"{API}/label-sessions/ab/undo", {"labeller": "bob"})):
        refused = problem(app_on.post(path, json=body, headers=alice), 403, "'labeller-1'", "expected labeller")
        assert refused["labeller"] == "labeller-1" and refused["type"].endswith("/not-this-labeller")
        as_itself = app_on.post(path, json={**body, "labeller": "labeller-1"}, headers=alice)
        assert as_itself.status_code == 404, as_itself.text  # let through: no session "ab"
    problem(app_on.get(f"{API}/label-sessions/ab/next?labeller=bob", headers=alice), 403, "expected labeller")
