"""Why a camera refused: one RTSP DESCRIBE, asked only after OpenCV failed to open an rtsp:// URL.

OpenCV says no more than "could not open"; an installer needs to know whether the password, the path or the
network is wrong. This speaks just enough RTSP (Basic and Digest authentication) to read the camera's status code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

REFUSED = frozenset({"unauthorized", "forbidden", "not_found"})
"""Causes that retrying soon cannot fix: back off long (a camera may lock the account)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    cause: str
    """Short code for events and metrics: unauthorized, forbidden, not_found, unreachable, no_answer, rtsp_<status>."""
    message: str
    """One line for the log, with no user or password in it."""


def probe(url: str, timeout_s: float) -> Refusal | None:
    """Ask the camera for `url`'s stream description; None when it would serve it (the failure is elsewhere)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 554
    where = f"{host}:{port}"
    clean = parts._replace(netloc=f"{host}:{port}" if parts.port else host).geturl()
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            status, headers = _describe(sock, clean, 1, None)
            if status == 401 and parts.username is not None:
                challenge = headers.get("www-authenticate", "")
                authorization = _authorization(challenge, unquote(parts.username), unquote(parts.password or ""),
                                               clean)
                status, headers = _describe(sock, clean, 2, authorization)
    except ConnectionRefusedError:
        return Refusal("unreachable", f"nothing accepts connections at {where} (connection refused)")
    except TimeoutError:
        return Refusal("no_answer", f"{where} did not answer within {timeout_s:g} s")
    except OSError as exc:
        return Refusal("unreachable", f"cannot reach {where}: {exc.strerror or exc}")
    except ValueError as exc:
        return Refusal("bad_answer", f"{where} gave an answer that is not RTSP: {exc}")
    if status == 200:
        return None
    messages = {
        401: ("unauthorized", "the camera refused the user name or password (RTSP 401)"),
        403: ("forbidden", "the camera refused this user access to the stream (RTSP 403)"),
        404: ("not_found", f"the camera has no stream at path {parts.path or '/'!r} (RTSP 404)"),
    }
    cause, message = messages.get(status, (f"rtsp_{status}", f"the camera answered RTSP {status}"))
    return Refusal(cause, message)


def _describe(sock: socket.socket, url: str, cseq: int, authorization: str | None) -> tuple[int, dict[str, str]]:
    lines = [f"DESCRIBE {url} RTSP/1.0", f"CSeq: {cseq}", "Accept: application/sdp", "User-Agent: nattvakt"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ValueError("connection closed before an answer")
        head += chunk
        if len(head) > 65536:
            raise ValueError("answer headers too long")
    text, _, body = head.partition(b"\r\n\r\n")
    status_line, *header_lines = text.decode("latin-1").split("\r\n")
    match = re.match(r"RTSP/1\.\d (\d{3})", status_line)
    if match is None:
        raise ValueError(f"status line {status_line[:40]!r}")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:  # read the SDP off the socket so a second request starts clean
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return int(match.group(1)), headers


def _authorization(challenge: str, user: str, password: str, url: str) -> str:
    """The answer to a Basic or Digest (MD5) challenge, which is what IP cameras send."""
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() == "basic":
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', params))
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
    # RTSP digest authentication is MD5 by definition (RFC 2069/2617).
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()
    ha2 = hashlib.md5(f"DESCRIBE:{url}".encode(), usedforsecurity=False).hexdigest()
    if "auth" in fields.get("qop", "").split(","):
        cnonce, nc = os.urandom(8).hex(), "00000001"
        response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode(), usedforsecurity=False).hexdigest()
        extra = f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode(), usedforsecurity=False).hexdigest()
        extra = ""
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{url}", '
            f'response="{response}"{extra}')
