"""``python -m frontend``: serve the dashboard on FACTORSCOPE_UI_HOST:FACTORSCOPE_UI_PORT (127.0.0.1:8050)."""

from __future__ import annotations

import signal
import socket
import sys

from .app import create_app
from .config import FrontendSettings


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
    SIGINT ignored (Python then keeps it ignored, and the dashboard would outlive ``factorscope demo``)."""
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
    app = create_app(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"factorscope dashboard on http://{shown}:{port}/ (backend: {settings.backend_url}); Ctrl-C stops it",
          flush=True)
    try:
        app.run(host=host, port=port, debug=False)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
