"""``factorscope serve``: the API with uvicorn on 127.0.0.1:FACTORSCOPE_API_PORT (SIGINT stops it cleanly)."""

from __future__ import annotations

import argparse
import os
import socket
import sys

from .config import Settings, get_settings

LISTEN_HOST_SETTING = "FACTORSCOPE_LISTEN_HOST"


def add_serve_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the API server (uvicorn) on 127.0.0.1:FACTORSCOPE_API_PORT")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=None, help="port (default FACTORSCOPE_API_PORT, 8000)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(handler=run_serve)


def port_in_use(host: str, port: int) -> bool:
    """True when nothing can listen on (host, port) right now (uvicorn binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ[LISTEN_HOST_SETTING] = args.host  # the app's settings see where it listens (auth=auto turns on beyond
    get_settings.cache_clear()  # loopback: backend/auth/mode.py)
    port = args.port or get_settings().api_port
    if port_in_use(args.host, port):
        print(f"factorscope serve: port {port} on {args.host} is already in use (another factorscope or program "
              "listens there); stop it, or pick a free port with --port or FACTORSCOPE_API_PORT", file=sys.stderr)
        return 2
    print(f"factorscope API on http://{args.host}:{port}/api/v1 (docs: /docs); {auth_line(get_settings())}; "
          "Ctrl-C stops it", file=sys.stderr)
    uvicorn.run("backend.main:create_app", factory=True, host=args.host, port=port, log_level=args.log_level)
    return 0


def auth_line(settings: Settings) -> str:
    """What the start-up line says about tokens (FACTORSCOPE_AUTH, and where the server listens)."""
    from .auth import auth_required

    if auth_required(settings):
        return "writes need a token (factorscope token create)"
    return "no tokens needed (FACTORSCOPE_AUTH=off, or listening on loopback only)"
