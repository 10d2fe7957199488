"""The audit trail: the pure chain, tampering caught by `nattvakt audit verify`, pruning, concurrent appends."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from central.audit import store as audit_store
from central.db import open_store
from nattvakt.cli import main
from privacy.audit import GENESIS, AuditRecord, ChainPoint, next_record, record_hash, verify_chain
from tests.postgres_db import throwaway_database
from tests.processes import nattvakt_env

T0 = datetime(2027, 1, 15, 22, 0, tzinfo=UTC)


def chain(n: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    head = GENESIS
    for i in range(n):
        record = next_record(head, T0 + timedelta(minutes=i), "lookin_authorized", "anna", 1, {"i": i})
        records.append(record)
        head = ChainPoint(record.seq, record.hash)
    return records


def head_of(records: list[AuditRecord]) -> ChainPoint:
    return ChainPoint(records[-1].seq, records[-1].hash)


def test_an_untouched_chain_verifies() -> None:
    records = chain(5)
    assert verify_chain(records, GENESIS, head_of(records)).ok
    assert verify_chain([], GENESIS, None).ok


def test_edit_delete_reorder_and_truncation_name_the_first_bad_record() -> None:
    records = chain(6)
    head = head_of(records)
    edited = [*records[:2], replace(records[2], actor="mallory"), *records[3:]]
    assert verify_chain(edited, GENESIS, head).first_bad_seq == 3
    deleted = records[:3] + records[4:]
    assert verify_chain(deleted, GENESIS, head).first_bad_seq == 4
    swapped = [*records[:1], replace(records[2], seq=2), replace(records[1], seq=3), *records[3:]]
    assert verify_chain(swapped, GENESIS, head).first_bad_seq == 2
    assert verify_chain(records[:5], GENESIS, head).first_bad_seq == 6, "deleting the newest record is caught"
    rehashed = [*records[:2], replace(records[2], details={"i": 99})]
    rehashed[2] = replace(rehashed[2], hash=next_record(ChainPoint(2, records[1].hash), rehashed[2].at, "x", "y", 1,
                                                        {}).hash)
    assert not verify_chain(rehashed, GENESIS, None).ok


# --- stored chain, checked by the real command -----------------------------------------------------------------------

def run_verify(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = nattvakt_env(database_url=database_url, data_dir=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "nattvakt", "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def stored(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine, sessions = open_store(url)
    with sessions() as db:
        for i in range(6):
            audit_store.record(db, "lookin_authorized", "anna", 7, {"i": i, "why": "on_floor"})
    engine.dispose()
    return url


def tamper(url: str, *statements: str) -> None:
    engine, _sessions = open_store(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_cli_accepts_an_untouched_trail(stored: str, tmp_path: Path) -> None:
    result = run_verify(stored, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "6 records verified" in result.stdout


@pytest.mark.parametrize(("statements", "bad_seq"), [
    (["UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 3"], 3),
    (["UPDATE audit_entry SET details = '{\"i\": 3, \"why\": \"scheduled\"}' WHERE seq = 4"], 4),
    (["DELETE FROM audit_entry WHERE seq = 2"], 2),
    (["UPDATE audit_entry SET seq = 100 WHERE seq = 2", "UPDATE audit_entry SET seq = 2 WHERE seq = 3",
      "UPDATE audit_entry SET seq = 3 WHERE seq = 100"], 2),
    (["UPDATE audit_entry SET at = '2020-01-01 00:00:00.000000' WHERE seq = 5"], 5),
    (["DELETE FROM audit_entry WHERE seq = 6"], 6),
])
def test_verify_names_the_first_tampered_record(
    stored: str, tmp_path: Path, statements: list[str], bad_seq: int, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tamper(stored, *statements)
    monkeypatch.setenv("NATTVAKT_DATABASE_URL", stored)
    monkeypatch.setenv("NATTVAKT_DATA_DIR", str(tmp_path))
    assert main(["audit", "verify"]) == 1
    assert f"BROKEN at record {bad_seq}:" in capsys.readouterr().err


def test_cli_process_exits_non_zero_on_tampering(stored: str, tmp_path: Path) -> None:
    tamper(stored, "UPDATE audit_entry SET recipient_id = 8 WHERE seq = 1")
    result = run_verify(stored, tmp_path)
    assert result.returncode == 1
    assert "BROKEN at record 1:" in result.stderr and "edited" in result.stderr


def test_pruning_keeps_the_rest_verifiable_and_forged_anchors_fail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine, sessions = open_store(url)
    now = datetime.now(UTC)
    with sessions() as db:
        for years_ago in (12, 11, 3, 1):
            at = now - timedelta(days=365 * years_ago)
            audit_store.append(db, "login", "anna", None, at=at)
            db.commit()
        assert audit_store.prune(db, retention_years=10, now=now) == 2
        assert audit_store.prune(db, retention_years=10, now=now) == 0
        assert audit_store.verify(db).ok
        kinds = [r.kind for r in audit_store.iter_records(db)]
        assert kinds == ["login", "login", "audit_pruned"]
    # Deleting an old record outside pruning and moving the anchor past it is still caught.
    first_hash = tamper_read(url, "SELECT hash FROM audit_entry WHERE seq = 3")
    tamper(url, "DELETE FROM audit_entry WHERE seq = 3",
           f"UPDATE audit_chain SET anchor_seq = 3, anchor_hash = '{first_hash}'")
    with sessions() as db:
        result = audit_store.verify(db)
    assert not result.ok and "no pruning record" in result.problem
    engine.dispose()


def tamper_read(url: str, statement: str) -> str:
    engine, _sessions = open_store(url)
    with engine.connect() as conn:
        value = conn.execute(text(statement)).scalar_one()
    engine.dispose()
    return str(value)


def append_from_four_instances(url: str) -> None:
    """Four 'central instances' (each its own engine and pool) append 25 records each at once; the chain must hold."""
    open_store(url)[0].dispose()
    errors: list[BaseException] = []

    def instance(name: str) -> None:
        engine, sessions = open_store(url)
        try:
            with sessions() as db:
                for i in range(25):
                    audit_store.record(db, "login", name, None, {"i": i})
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=instance, args=(f"central-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    engine, sessions = open_store(url)
    with sessions() as db:
        result = audit_store.verify(db)
        seqs = [r.seq for r in audit_store.iter_records(db)]
    engine.dispose()
    assert result.ok, result
    assert seqs == list(range(1, 101))


def test_concurrent_instances_on_sqlite_do_not_fork_the_chain(tmp_path: Path) -> None:
    append_from_four_instances(f"sqlite:///{tmp_path / 'audit.db'}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


def test_concurrent_instances_on_postgresql_do_not_fork_the_chain(postgres_url: str) -> None:
    append_from_four_instances(postgres_url)


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(0, 7),
    field=st.sampled_from(["at", "kind", "actor", "recipient_id", "details", "prev_hash"]),
    data=st.data(),
)
def test_any_single_field_edit_is_caught_at_that_record(index: int, field: str, data: st.DataObject) -> None:
    records = chain(8)
    original = records[index]
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "at": st.datetimes(timezones=st.just(UTC)),
        "kind": st.text(max_size=20),
        "actor": st.text(max_size=20),
        "recipient_id": st.none() | st.integers(-5, 50),
        "details": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
    }
    changes: dict[str, Any] = {field: data.draw(strategies[field])}
    edited = replace(original, **changes)
    assume(record_hash(edited) != original.hash or edited.prev_hash != original.prev_hash)
    result = verify_chain([*records[:index], edited, *records[index + 1:]], GENESIS, head_of(records))
    assert not result.ok and result.first_bad_seq == original.seq
