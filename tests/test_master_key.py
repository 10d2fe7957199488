"""Central's master key file: made once, and never seen half-written by an instance starting at the same moment."""

from __future__ import annotations

import threading
from pathlib import Path

from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings


def _make(settings: Settings, start: threading.Barrier, keys: list[bytes | None]) -> None:
    start.wait()
    keys.append(master_key(settings, create=True))


def test_instances_starting_together_all_read_the_one_whole_key(tmp_path: Path) -> None:
    """Two centrals started together: the second read the file the first had created but not yet written (an empty
    key) and failed to start. Each of many racing callers must get the same whole key."""
    for attempt in range(20):
        settings = Settings(data_dir=tmp_path / str(attempt), consent_key=None)
        start = threading.Barrier(16)
        keys: list[bytes | None] = []

        threads = [threading.Thread(target=_make, args=(settings, start, keys)) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(keys)) == 1, f"attempt {attempt}: instances read different keys: {set(keys)}"
        assert keys[0] is not None and len(keys[0]) == 64
        assert len(list((tmp_path / str(attempt)).iterdir())) == 1, "no half-made key files left behind"


def test_the_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    master_key(Settings(data_dir=tmp_path, consent_key=None), create=True)
    [key_file] = list(tmp_path.iterdir())
    assert key_file.stat().st_mode & 0o777 == 0o600
