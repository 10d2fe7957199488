"""Web push for the console installed on a phone: the key, subscribing, and the app's manifest and service worker."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import FileResponse

from central.dependencies import CareStaffDep, DbDep
from central.forwarding import service
from central.forwarding.schemas import EndpointIn, PushKey, SubscriptionIn

router = APIRouter(tags=["push"])
STATIC = Path(__file__).parent.parent / "static"


@router.get("/api/push/key")
def push_key(request: Request, _staff: CareStaffDep) -> PushKey:
    return PushKey(public_key=request.app.state.push_public_key)


@router.post("/api/push/subscriptions", status_code=status.HTTP_201_CREATED)
def subscribe(body: SubscriptionIn, db: DbDep, staff: CareStaffDep) -> dict[str, str]:
    """This browser gets every forwarded alarm until it unsubscribes (or its push service says it is gone)."""
    service.subscribe(db, body.endpoint, body.keys.p256dh, body.keys.auth, staff.username)
    return {"endpoint": body.endpoint}


@router.delete("/api/push/subscriptions", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(body: EndpointIn, db: DbDep, _staff: CareStaffDep) -> Response:
    service.unsubscribe(db, body.endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    """Served from the root so that it controls the whole console; never cached by HTTP (it updates itself)."""
    return FileResponse(STATIC / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest() -> FileResponse:
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})
