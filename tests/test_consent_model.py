"""Consent validation: bad terms are rejected with a message naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from nattvakt.types import PRIVACY_LEVELS
from privacy.consent_model import ConsentTerms, next_local_time, stronger_level

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def terms(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_by": [{"role": "recipient", "name": "Greta"}],
        "given_at": T0.isoformat(),
        "valid_from": T0.isoformat(),
        "scope": {"scheduled": [{"at": "23:00", "window_min": 15}], "event_kinds": ["on_floor"],
                  "privacy_level": "pixelate", "max_lookin_s": 30},
    }
    body.update(changes)
    return body


def rejection(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        ConsentTerms.model_validate(body)
    first = info.value.errors()[0]
    return ".".join(str(p) for p in first["loc"]) + ": " + first["msg"]


def test_good_terms_validate() -> None:
    parsed = ConsentTerms.model_validate(terms())
    assert parsed.scope.scheduled[0].at == time(23) and parsed.timezone == "Europe/Stockholm"


def test_every_consent_level_is_a_filter_level_in_the_same_order() -> None:
    assert [level for level in PRIVACY_LEVELS if level in PRIVACY_LEVELS] == list(PRIVACY_LEVELS)
    assert stronger_level("heavy_blur", "silhouette") == "silhouette"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"scope": {"scheduled": [{"at": "23:00", "window_min": 15}, {"at": "23:20", "window_min": 10}]}},
     "scope.scheduled", "overlaps"),
    ({"scope": {"scheduled": [{"at": "23:55", "window_min": 15}, {"at": "00:05", "window_min": 15}]}},
     "scope.scheduled", "overlaps"),
    ({"scope": {"scheduled": [{"at": "25:00"}]}}, "scope.scheduled.0.at", ""),
    ({"scope": {"scheduled": [{"at": "23:00", "window_min": 0}]}}, "scope.scheduled.0.window_min", ""),
    ({"scope": {"privacy_level": "none"}}, "scope.privacy_level", ""),
    ({"scope": {"event_kinds": ["dancing"]}}, "scope.event_kinds", ""),
    ({"scope": {"audio": True}}, "scope.audio", "Extra inputs"),
    ({"valid_until": (T0 - timedelta(days=1)).isoformat()}, "", "valid_until"),
    ({"valid_from": "2027-01-01T00:00:00"}, "valid_from", "timezone"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
    ({"given_by": []}, "given_by", ""),
    ({"given_by": [{"role": "neighbour", "name": "X"}]}, "given_by.0.role", ""),
    ({"pauses": [{"start": T0.isoformat(), "end": T0.isoformat(), "set_by": "Greta"}]}, "pauses.0", "end"),
])
def test_bad_terms_are_rejected_naming_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    message = rejection(terms(**changes))
    assert message.startswith(field), message
    assert words in message


def test_pause_for_tonight_ends_next_morning_local_time() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Stockholm")
    evening = datetime(2027, 1, 15, 21, 0, tzinfo=zone)
    night = datetime(2027, 1, 16, 2, 0, tzinfo=zone)
    assert next_local_time(evening, zone, 8) == datetime(2027, 1, 16, 8, 0, tzinfo=zone)
    assert next_local_time(night, zone, 8) == datetime(2027, 1, 16, 8, 0, tzinfo=zone)
