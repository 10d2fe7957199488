"""A sample care recipient for `nattvakt demo`: room, camera node, consent and tonight's check-in schedule.

The windows are placed around the time the demo starts, so a newcomer sees a check-in that is due right away
and more later in the night. Seeding happens once: a store that already has recipients is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from central.consent import service as consent_service
from central.night import service as night_service
from central.nodes import service as nodes_service
from central.visits import units as visit_units
from privacy.consent_model import ConsentScope, ConsentTerms, Grantor, GrantorRole, ScheduledWindow

DEMO_RECIPIENT = "Greta Andersson"
DEMO_ACTOR = "demo"
DEMO_PHONE = "070-174 06 05"
"""From the range Sweden's telecom regulator (PTS) keeps for fiction: it reaches no one."""


def demo_windows(now: datetime, home: ZoneInfo) -> list[ScheduledWindow]:
    """Three 30-minute windows, 2 h 30 apart, the first around `now` (local time, whole 5 minutes)."""
    local = now.astimezone(home)
    minutes = (local.hour * 60 + local.minute) // 5 * 5
    return [ScheduledWindow(at=time(((minutes + k * 150) // 60) % 24, (minutes + k * 150) % 60), window_min=30)
            for k in range(3)]


def seed_demo(db: Session, node_id: str, room: str, home: ZoneInfo) -> int | None:
    """Create the sample recipient when the store has none; returns its id (None when nothing was seeded)."""
    if consent_service.list_recipients(db):
        return None
    now = datetime.now(UTC)
    recipient = consent_service.create_recipient(db, DEMO_RECIPIENT, room, DEMO_ACTOR)
    nodes_service.create_room(db, room, recipient.id, DEMO_ACTOR)
    consent_service.assign_node(db, node_id, recipient.id, DEMO_ACTOR)
    windows = demo_windows(now, home)
    terms = ConsentTerms(
        given_by=(Grantor(role=GrantorRole.RECIPIENT, name=DEMO_RECIPIENT),), given_at=now - timedelta(days=1),
        valid_from=now - timedelta(days=1), timezone=home.key,
        scope=ConsentScope(scheduled=tuple(windows),
                           event_kinds=frozenset({"on_floor", "person_not_visible", "bed_exit", "left_room"}),
                           privacy_level="heavy_blur", max_lookin_s=30),
    )
    consent_service.record_terms(db, recipient.id, terms, DEMO_ACTOR)
    night_service.set_schedule(db, recipient.id, [w.at for w in windows], DEMO_ACTOR)
    visit_units.set_contact(db, recipient.id, DEMO_PHONE, None, DEMO_ACTOR)
    return recipient.id
