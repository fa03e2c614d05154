"""``python -m frontend``: a clear message (and exit 2) when the port is taken."""

from __future__ import annotations

import socket

import pytest

from frontend.__main__ import main, port_in_use


def test_a_taken_port_is_reported(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        monkeypatch.setenv("FACTORSCOPE_UI_PORT", str(port))
        assert main() == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "FACTORSCOPE_UI_PORT" in err


def test_a_free_port_is_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert not port_in_use("127.0.0.1", port)
