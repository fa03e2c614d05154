"""Who may do what: roles (viewer < labeller < admin), API tokens stored as hashes, the router-wide dependency that
enforces them when auth is on, and ``token_name`` (who made a request: labels record it)."""

from .enforce import authorized_request, labeller_for, signed_in, token_name
from .mode import auth_required, is_loopback
from .policy import LABELLING_PREFIX, required_role
from .roles import ROLES, Role, covers
from .tokens import Token, TokenError, TokenStore

__all__ = ["LABELLING_PREFIX", "ROLES", "Role", "Token", "TokenError", "TokenStore", "auth_required",
           "authorized_request", "covers", "is_loopback", "labeller_for", "required_role", "signed_in",
           "token_name"]
