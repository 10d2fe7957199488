"""Cross-site request forgery protection: state-changing requests must come from the console's own origin.

Browsers mark every request with `Sec-Fetch-Site`, and every cross-origin POST with `Origin`; a forged request
from another site cannot hide either. So (the algorithm Go 1.25's `http.CrossOriginProtection` uses):
safe methods pass; `Sec-Fetch-Site: same-origin` or `none` passes, any other value is refused; without it, an
`Origin` that is not ours is refused; a request with neither comes from a non-browser client (curl, a node, a
test), which holds no victim's cookies. SameSite=Strict session cookies are the second line. Being a plain ASGI
middleware it never buffers, so the server-sent event stream flows through untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_origin_reason(
    method: str, host: str, headers: dict[str, str], allowed_origins: Iterable[str] = ()
) -> str | None:
    """Why a request must be refused as cross-origin, or None when it may go ahead (a pure function)."""
    if method.upper() in SAFE_METHODS:
        return None
    site = headers.get("sec-fetch-site")
    if site is not None:
        return None if site in ("same-origin", "none") else f"Sec-Fetch-Site is {site!r}"
    origin = headers.get("origin")
    if origin is None:
        return None
    if origin in set(allowed_origins):
        return None
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        return f"Origin {origin!r} is not this console ({host!r})"
    return None


class CrossOriginGuard:
    """ASGI middleware that answers a cross-origin state-changing request with 403 problem details."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        reason = cross_origin_reason(scope["method"], headers.get("host", ""), headers, self.allowed_origins)
        if reason is None:
            await self.app(scope, receive, send)
            return
        log.warning("refused cross-origin %s %s: %s", scope["method"], scope["path"], reason)
        body = json.dumps({
            "type": "about:blank", "title": "Forbidden", "status": 403,
            "detail": f"cross-origin request refused: {reason}",
        }).encode()
        await send({"type": "http.response.start", "status": 403, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})
