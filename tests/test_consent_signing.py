"""Signed consent copies: any change to the bytes is refused, unless it only changed JSON formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.consent_model import Consent
from privacy.consent_signing import ConsentCopyRejected, derive_node_key, sign_copy, verify_copy

KEY = derive_node_key(b"master-key-for-tests-0123456789", "node-1")
START = datetime(2027, 1, 1, tzinfo=UTC)
CONSENT = Consent.model_validate({
    "given_by": [{"role": "legal_representative", "name": "Åsa Öberg"}], "given_at": START, "valid_from": START,
    "valid_until": START + timedelta(days=365),
    "scope": {"scheduled": [{"at": "23:00"}, {"at": "03:00", "window_min": 10}], "event_kinds": ["on_floor"],
              "privacy_level": "silhouette", "max_lookin_s": 20},
    "recipient_id": 3, "version": 4, "recorded_at": START, "recorded_by": "sara",
})
RAW = sign_copy(KEY, "node-1", 7, CONSENT, START)


def test_a_good_copy_verifies_and_keeps_every_field() -> None:
    copy = verify_copy(RAW, KEY, "node-1", 7)
    assert copy.consent == CONSENT and copy.copy_version == 7


@settings(max_examples=500, deadline=None)
@given(position=st.integers(0, len(RAW) - 1), replacement=st.characters(codec="utf-8"))
def test_any_one_character_change_is_refused_or_harmless(position: int, replacement: str) -> None:
    mutated = RAW[:position] + replacement + RAW[position + 1:]
    try:
        copy = verify_copy(mutated, KEY, "node-1", 0)
    except ConsentCopyRejected as exc:
        assert exc.reason in ("malformed", "bad_signature")
        return
    assert copy.consent == CONSENT and copy.copy_version == 7, "only JSON formatting may differ"


def test_wrong_key_other_node_and_old_version_are_refused() -> None:
    with pytest.raises(ConsentCopyRejected) as info:
        verify_copy(RAW, derive_node_key(b"master-key-for-tests-0123456789", "node-2"), "node-1", 0)
    assert info.value.reason == "bad_signature"
    with pytest.raises(ConsentCopyRejected) as info:
        verify_copy(RAW, KEY, "node-2", 0)
    assert info.value.reason == "wrong_node"
    with pytest.raises(ConsentCopyRejected) as info:
        verify_copy(RAW, KEY, "node-1", 8)
    assert info.value.reason == "stale" and "older" in str(info.value)
    with pytest.raises(ValueError, match="16 bytes"):
        derive_node_key(b"short", "node-1")
