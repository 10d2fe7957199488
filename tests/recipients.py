"""A care recipient with a camera and consent, made through the API as nurse_admin does it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import Api

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def terms(**scope: Any) -> dict[str, Any]:
    """Terms whose scheduled window is open right now, plus look-ins on falls."""
    now_local = datetime.now(STOCKHOLM)
    body_scope = {
        "scheduled": [{"at": f"{now_local:%H:%M}", "window_min": 20}],
        "event_kinds": ["on_floor", "bed_exit"], "privacy_level": "pixelate", "max_lookin_s": 30,
    }
    body_scope.update(scope)
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return {"given_by": [{"role": "recipient", "name": "Greta Andersson"},
                         {"role": "co_resident", "name": "Karl Andersson"}],
            "given_at": start, "valid_from": start, "scope": body_scope}


async def new_recipient(api: Api, node: str = "node-a") -> int:
    response = await api.nurse.post("/api/recipients", json={"name": "Greta Andersson", "room": "rum-7"})
    assert response.status_code == 201, response.text
    rid: int = response.json()["id"]
    assigned = await api.nurse.put(f"/api/nodes/{node}", json={"recipient_id": rid})
    assert assigned.status_code == 200 and assigned.json()["delivered"], assigned.text
    return rid
