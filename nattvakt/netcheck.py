"""Checks a listening port is free before a server tries it, so the error can name the setting."""

from __future__ import annotations

import errno
import socket

from nattvakt.errors import NattvaktError


class PortTakenError(NattvaktError, OSError):
    """The port is in use; the message names the setting that changes it."""


def ensure_port_free(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortTakenError(f"port {port} on {host} is already in use; set {setting} to another port") from exc
            raise PortTakenError(f"cannot listen on {host}:{port} ({exc.strerror}); check {setting}") from exc
