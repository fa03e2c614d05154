"""``factorscope token create | list | revoke`` as an operator runs it: the token is printed once (stdout holds it
alone), the database holds only its sha256, list shows every token without it, revoke stops it at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_cli import factorscope

from backend.auth import TokenStore
from backend.cli import main
from backend.config import get_settings
from backend.db import make_engine, tokens


@pytest.fixture
def store(home: Path) -> Iterator[TokenStore]:
    """The token store of ``home``'s default database (the one the CLI uses), with fresh settings."""
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{home}/factorscope.db")
    yield TokenStore(engine)
    engine.dispose()
    get_settings.cache_clear()


def test_create_prints_the_token_once_and_stores_only_its_hash(home: Path) -> None:
    made = factorscope("token", "create", "--role", "labeller", "--name", "alice", home=home)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert made.stdout == secret + "\n" and secret.startswith("fs_") and len(secret) == 3 + 43
    assert secret not in made.stderr and "shown once" in made.stderr
    raw = b"".join(path.read_bytes() for path in home.glob("factorscope.db*"))  # the file and its WAL
    assert secret.encode() not in raw
    engine = make_engine(f"sqlite:///{home}/factorscope.db")
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.select(tokens)).mappings().one()
        assert stored["hash"] == hashlib.sha256(secret.encode()).hexdigest()
        assert (stored["name"], stored["role"], stored["revoked_at"]) == ("alice", "labeller", None)
        assert TokenStore(engine).find(secret) is not None
    finally:
        engine.dispose()
    listed = factorscope("token", "list", home=home)
    assert listed.returncode == 0 and secret not in listed.stdout
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [["NAME", "ROLE"], ["alice", "labeller"]]


def test_list_and_revoke(store: TokenStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--role", "admin", "--name", "root-op"]) == 0
    secret = capsys.readouterr().out.strip()
    assert main(["token", "create", "--role", "viewer", "--name", "ann"]) == 0
    capsys.readouterr()
    assert main(["token", "revoke", "root-op"]) == 0
    assert "revoked the token of root-op (admin" in capsys.readouterr().err
    assert store.find(secret) is None  # stops working at once
    assert main(["token", "list"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(r[0], r[1], r[3] != "-") for r in rows] == [("root-op", "admin", True), ("ann", "viewer", False)]
    assert main(["token", "revoke", "root-op"]) == 2  # already revoked
    assert "no unrevoked token named 'root-op'" in capsys.readouterr().err
    assert main(["token", "create", "--role", "admin", "--name", "root-op"]) == 0  # the name is free again
    found = store.find(capsys.readouterr().out.strip())
    assert found is not None and found.name == "root-op"


def test_refusals_name_what_was_expected(store: TokenStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--role", "labeller", "--name", "bob"]) == 0
    capsys.readouterr()
    assert main(["token", "create", "--role", "admin", "--name", "bob"]) == 2
    assert "'bob' already has an unrevoked token" in capsys.readouterr().err
    assert main(["token", "create", "--role", "admin", "--name", "b b"]) == 2
    assert "expected 1 to 64 of letters" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["token", "create", "--role", "root", "--name", "carol"])
    assert "invalid choice: 'root'" in capsys.readouterr().err
    assert [t.name for t in store.list()] == ["bob"]
