"""``factorscope token create | list | revoke``: the API's tokens, in the database FACTORSCOPE_DATABASE_URL names.

``create`` prints the new token once, on stdout alone (so ``TOKEN=$(factorscope token create ...)`` works); the
database keeps only its sha256, so a lost token cannot be shown again: revoke it and create another.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from .auth import ROLES, Token, TokenError, TokenStore
from .config import get_settings
from .db import make_engine, upgrade

T = TypeVar("T")


def add_token_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("token", help="create, list and revoke the API's bearer tokens")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token and print it once")
    create.add_argument("--role", required=True, choices=ROLES, help="viewer reads, labeller labels, admin does all")
    create.add_argument("--name", required=True, help="who holds it (labels record it), e.g. alice")
    create.set_defaults(handler=run_create)
    actions.add_parser("list", help="every token: name, role, created, revoked").set_defaults(handler=run_list)
    revoke = actions.add_parser("revoke", help="stop a token working, at once")
    revoke.add_argument("name", help="the name of an unrevoked token")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    made = with_store(lambda store: store.create(args.name, args.role))
    if made is None:
        return 2
    token, secret = made
    print(f"token for {token.name} ({token.role}); shown once, only its hash is stored:", file=sys.stderr)
    print(secret)
    return 0


def run_list(args: argparse.Namespace) -> int:
    listed = with_store(lambda store: store.list())
    if listed is None:
        return 2
    print(f"{'NAME':<24} {'ROLE':<9} {'CREATED':<32} REVOKED")
    for token in listed:
        print(f"{token.name:<24} {token.role:<9} {token.created:<32} {token.revoked_at or '-'}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    revoked = with_store(lambda store: store.revoke(args.name))
    if revoked is None:
        return 2
    print(f"revoked the token of {describe(revoked)}", file=sys.stderr)
    return 0


def describe(token: Token) -> str:
    return f"{token.name} ({token.role}, created {token.created})"


def with_store(work: Callable[[TokenStore], T]) -> T | None:
    """``work`` on the token store of the configured database (migrated first); None after printing why it failed."""
    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        return work(TokenStore(engine))
    except TokenError as err:
        print(f"factorscope token: {err}", file=sys.stderr)
        return None
    finally:
        engine.dispose()
