"""With the event bus (Redis) stopped, central's API answers 503 with the reason, never 500, and recovers by itself."""

from __future__ import annotations

from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.bus import wait_until
from tests.conftest import RestartableRedis, serve
from tests.console_page import publish


async def test_acknowledging_with_the_bus_stopped_is_a_503_with_the_reason_and_works_once_it_is_back(
    restartable_redis: RestartableRedis, settings: Settings
) -> None:
    own_redis = restartable_redis
    settings = settings.model_copy(update={"redis_url": own_redis.url})
    async with serve(settings) as api:
        event = Event(node="n1", room="B12", kind="on_floor", severity=Severity.HIGH)
        publish(settings, event)

        async def shown() -> bool:
            return any(e["event"]["id"] == event.id for e in (await api.night.get("/api/events")).json())

        await wait_until(shown)
        own_redis.stop()
        refused = await api.night.post(f"/api/events/{event.id}/ack")
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "alarms cannot reach the console" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) > 0
        assert (await api.night.get("/api/events")).status_code == 200, "what was shown stays listed"

        own_redis.restart()

        async def acknowledged() -> bool:
            return (await api.night.post(f"/api/events/{event.id}/ack")).status_code == 200

        await wait_until(acknowledged, limit_s=15, every_s=0.3)
        entry = (await api.night.post(f"/api/events/{event.id}/ack")).json()
        assert entry["acknowledged_by"] == "nils"
