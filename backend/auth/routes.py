"""``GET /api/v1/auth/whoami``: who the presented token is (the dashboard's sign-in checks a token with it)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..api.responses import problems
from ..deps import SettingsDep
from .enforce import signed_in
from .mode import auth_required
from .problems import Unauthorized
from .schemas import WhoAmI

router = APIRouter(tags=["auth"])


@router.get("/auth/whoami", response_model=WhoAmI, responses=problems(401),
            summary="The name and role of the token given (with auth off: admin, no name)")
def whoami(request: Request, settings: SettingsDep) -> WhoAmI:
    if not auth_required(settings, request.scope.get("server")):
        return WhoAmI(name=None, role="admin", auth=False)
    token = signed_in(request)
    if token is None:
        raise Unauthorized("no token was given, so there is no one to name")
    return WhoAmI(name=token.name, role=token.role, auth=True)
