"""The two refusals of ``enforce``, as RFC 9457 problems: 401 (no usable token; with ``WWW-Authenticate: Bearer``,
RFC 6750 section 3) and 403 (a token whose role is too small, naming the role needed)."""

from __future__ import annotations

from ..errors import Problem
from .roles import Role

REALM = "factorscope"
HOW_TO_GET_ONE = "an operator makes one with `factorscope token create --role ROLE --name NAME`"


class Unauthorized(Problem):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str, *, invalid: bool = False) -> None:
        challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
        super().__init__(f"{detail}; expected the header Authorization: Bearer <token> ({HOW_TO_GET_ONE})",
                         headers={"WWW-Authenticate": challenge})


class RoleTooSmall(Problem):
    status, slug = 403, "role-too-small"

    def __init__(self, name: str, held: Role, needed: Role) -> None:
        super().__init__(f"the token {name!r} has the role {held}; this request needs the role {needed} or above "
                         f"(an operator can make one: factorscope token create --role {needed} --name {name})",
                         required_role=needed, role=held)


class NotThisLabeller(Problem):
    status, slug = 403, "not-this-labeller"

    def __init__(self, name: str, given: str) -> None:
        super().__init__(f"this request is signed in with the token {name!r}, so its labels are recorded as "
                         f"{name!r}; expected labeller {name!r}, got {given!r:.60}", labeller=name)
