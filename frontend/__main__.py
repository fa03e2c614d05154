"""``python -m frontend``: serve the dashboard on FACTORSCOPE_UI_HOST:FACTORSCOPE_UI_PORT (127.0.0.1:8050) under
gunicorn (a production WSGI server: WORKERS processes of THREADS threads each), never Werkzeug's development server.
SIGINT stops it without waiting for the requests in progress, SIGTERM lets them finish; a worker still running after
GRACE_S is killed. Either way the exit status is 0.
"""

from __future__ import annotations

import signal
import socket
import sys

from flask import Flask
from gunicorn.app.base import BaseApplication

from .app import create_app
from .config import FrontendSettings

WORKERS, THREADS = 2, 4  # processes (a Dash callback is CPU work: figures) x threads each (they wait on the API)
GRACE_S = 5  # SIGTERM: how long requests in progress may finish


def port_in_use(host: str, port: int) -> bool:
    """True when nothing can listen on (host, port) now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the server, also when a shell started it in the background with
    SIGINT ignored (Python then keeps it ignored, and the dashboard would outlive ``factorscope demo``). Gunicorn's
    arbiter installs its own handlers once it runs; these cover the start before it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def main() -> int:
    stop_on_signals()
    settings = FrontendSettings()
    host, port = settings.ui_host, settings.ui_port
    if port_in_use(host, port):
        print(f"factorscope dashboard: port {port} on {host} is already in use (another dashboard or program "
              "listens there); stop it, or choose another port with FACTORSCOPE_UI_PORT", file=sys.stderr)
        return 2
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"factorscope dashboard on http://{shown}:{port}/ (backend: {settings.backend_url}); Ctrl-C stops it",
          flush=True)
    try:
        Dashboard(settings).run()
    except KeyboardInterrupt:
        pass
    except SystemExit as stopped:  # the arbiter exits when it stops: 0 after a signal, 1 when a worker failed to boot
        return stopped.code if isinstance(stopped.code, int) else 1
    return 0


class Dashboard(BaseApplication):
    """The Dash app under gunicorn, built in the arbiter before the workers fork (its HTTP client to the API opens no
    connection until a callback calls it, so none is shared across the fork)."""

    def __init__(self, settings: FrontendSettings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.settings.ui_host}]" if ":" in self.settings.ui_host else self.settings.ui_host
        options = {"bind": f"{host}:{self.settings.ui_port}", "workers": WORKERS, "worker_class": "gthread",
                   "threads": THREADS, "graceful_timeout": GRACE_S, "loglevel": "warning", "errorlog": "-",
                   "preload_app": True,  # built once, before the fork: the workers start ready
                   "control_socket_disable": True}  # no control socket in $HOME, shared by every dashboard
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = create_app(self.settings)
        with app.server.test_request_context("/"):
            app.index()  # Dash registers its script paths on the first page it renders: once here, for every worker
        return app.server


if __name__ == "__main__":
    sys.exit(main())
