"""The roles a token may hold, weakest first: a viewer reads, a labeller also labels, an admin does everything."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "labeller", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)  # weakest first; a role may do whatever a weaker one may


def covers(held: Role, needed: Role) -> bool:
    """Whether a token of role ``held`` may do what needs ``needed`` (admin covers labeller covers viewer)."""
    return ROLES.index(held) >= ROLES.index(needed)
