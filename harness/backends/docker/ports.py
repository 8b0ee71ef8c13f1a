"""Loopback ports of the reference topology's containers: handing out free ones, reading the published ones.

Every port is published on 127.0.0.1 only; a port handed to one container
is not handed to another by this process, even before the engine binds it.
"""

from __future__ import annotations

import socket
import threading

from docker.models.containers import Container

from harness.errors import UserError


def published_ports(container: Container) -> dict[str, int]:
    """Container port -> the loopback port it is published on."""
    ports = {}
    for port, bindings in (container.attrs["NetworkSettings"].get("Ports") or {}).items():
        for binding in bindings or []:
            ports[port.split("/")[0]] = int(binding["HostPort"])
    return ports


_handed_out: set[int] = set()
_handing_out = threading.Lock()


def free_port() -> int:
    """A loopback port free now and not handed to another container of this process."""
    with _handing_out:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def require_free_port(port: int) -> None:
    """Refuse a port the user asked for that something on this machine already holds."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UserError(f"port 127.0.0.1:{port} is already in use", "choose another --http-port or omit it") from None
