"""Review fixes in staff accounts: a password reset ends old sessions; argon2 checks are rationed."""

from __future__ import annotations

import threading
from pathlib import Path

from central.db import open_store
from central.staff.service import VERIFY_SLOTS, authenticate, open_session, staff_for_token, upsert_staff

PASSWORD = "gammalt-lösen-1"


def test_password_reset_ends_every_open_session(tmp_path: Path) -> None:
    engine, sessionmaker = open_store(f"sqlite:///{tmp_path / 'staff.db'}")
    with sessionmaker() as db:
        staff = upsert_staff(db, "anna", PASSWORD, "night_staff")
        tablet, phone = open_session(db, staff, 8), open_session(db, staff, 8)
        other = open_session(db, upsert_staff(db, "bo", PASSWORD, "night_staff"), 8)
        assert staff_for_token(db, tablet) is not None
        upsert_staff(db, "anna", "nytt-lösen-2", "night_staff")
        assert staff_for_token(db, tablet) is None and staff_for_token(db, phone) is None
        bo = staff_for_token(db, other)
        assert bo is not None and bo.username == "bo", "someone else's reset leaves bo logged in"
        assert authenticate(db, "anna", "nytt-lösen-2") is not None
        assert authenticate(db, "anna", PASSWORD) is None
    engine.dispose()


def test_password_checks_wait_for_a_free_slot(tmp_path: Path) -> None:
    engine, sessionmaker = open_store(f"sqlite:///{tmp_path / 'staff.db'}")
    with sessionmaker() as db:
        upsert_staff(db, "anna", PASSWORD, "night_staff")
    results: list[bool] = []

    def log_in() -> None:
        with sessionmaker() as db:
            results.append(authenticate(db, "anna", PASSWORD) is not None)

    held = 0
    while VERIFY_SLOTS.acquire(blocking=False):  # a burst of logins holds every slot
        held += 1
    try:
        assert held >= 1
        waiting = threading.Thread(target=log_in)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and results == [], "no argon2 check runs while every slot is taken"
    finally:
        for _ in range(held):
            VERIFY_SLOTS.release()
    waiting.join(10)
    assert results == [True]
    engine.dispose()
