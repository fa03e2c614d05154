"""``TokenStore``: API tokens in the database's ``tokens`` table (revision 0004).

A token is ``fs_`` followed by 32 random bytes (URL-safe base64, 43 characters); the table keeps only its sha256, so
neither the database nor a backup of it holds a usable token. A name belongs to at most one unrevoked token (a
labeller's labels record it); a revoked token's row stays, for the record.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..db import read_only, tokens
from ..jobs.model import now_iso
from .roles import ROLES, Role

TOKEN_PREFIX = "fs_"
TOKEN_BYTES = 32
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


class TokenError(ValueError):
    """A name or role that cannot be used, a name already taken, or no unrevoked token of that name."""


@dataclass(frozen=True)
class Token:
    """What the server knows of a token (never the token itself)."""

    name: str
    role: Role
    created: str  # UTC ISO
    revoked_at: str | None  # None while it works


def new_secret() -> str:
    """A fresh token: ``fs_`` + 32 random bytes from the OS's CSPRNG."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def digest(secret: str) -> str:
    """The sha256 (hex, 64 characters) of a token: what the table stores and looks up."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise TokenError(f"name {name[:80]!r}: expected 1 to 64 of letters, digits, '_', '.', '@', '-' (starting "
                         "with a letter or digit), e.g. alice")
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise TokenError(f"role {role[:80]!r}: expected one of {', '.join(ROLES)}")
    return cast(Role, role)


class TokenStore:
    """Tokens in the database behind ``engine`` (already at the head revision: a ``JobStore`` migrates it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: str) -> tuple[Token, str]:
        """A new token for ``name`` with ``role``: its record and the token itself, which is never stored (the
        caller shows it once). TokenError when the name or role is bad or an unrevoked token has the name."""
        row = {"id": uuid.uuid4().hex, "name": check_name(name), "role": check_role(role), "created": now_iso(),
               "revoked_at": None}
        secret = new_secret()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tokens).values(**row, hash=digest(secret)))
        except IntegrityError as err:  # the partial unique index on unrevoked names
            raise TokenError(f"name {name!r} already has an unrevoked token; expected a new name, or revoke "
                             f"that token first (factorscope token revoke {name})") from err
        return _token(row), secret

    def list(self) -> list[Token]:
        """Every token, revoked ones included, oldest first."""
        with read_only(self.engine) as conn:
            return [_token(r) for r in conn.execute(select(tokens).order_by(tokens.c.created)).mappings()]

    def revoke(self, name: str) -> Token:
        """Revoke the unrevoked token named ``name`` (it stops working at once); TokenError when there is none."""
        with self.engine.begin() as conn:
            stamp = now_iso()
            done = conn.execute(update(tokens).where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                                .values(revoked_at=stamp).returning(*tokens.c)).mappings().first()
        if done is None:
            raise TokenError(f"no unrevoked token named {name[:80]!r}; expected one of the names that "
                             "`factorscope token list` shows as active")
        return _token(done)

    def find(self, secret: str) -> Token | None:
        """The unrevoked token ``secret`` is, else None (unknown, or revoked)."""
        with read_only(self.engine) as conn:
            row = conn.execute(select(tokens).where(tokens.c.hash == digest(secret),
                                                    tokens.c.revoked_at.is_(None))).mappings().first()
        return None if row is None else _token(row)


def _token(row: RowMapping | Mapping[str, Any]) -> Token:
    return Token(name=str(row["name"]), role=check_role(str(row["role"])), created=str(row["created"]),
                 revoked_at=None if row["revoked_at"] is None else str(row["revoked_at"]))
