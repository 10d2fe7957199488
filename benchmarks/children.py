"""What the multi-process benchmarks share: starting `nattvakt` parts as children, their CPU time, bench consent."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nattvakt.childproc import die_with_parent


def child_env(**settings: str) -> dict[str, str]:
    """This environment without any NATTVAKT_ setting, plus `settings` (`node__room=` → NATTVAKT_NODE__ROOM)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATTVAKT_")}
    env.update({f"NATTVAKT_{k.upper()}": v for k, v in settings.items()})
    return env


def spawn_part(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m nattvakt <args>` with its output appended to `log`; it dies with this process."""
    return subprocess.Popen([sys.executable, "-m", "nattvakt", *args], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, preexec_fn=die_with_parent)


def stop_part(process: subprocess.Popen[bytes], wait_s: float = 15.0) -> None:
    """Ask a part to stop (it saves and closes); kill it if it has not within `wait_s`."""
    process.terminate()
    try:
        process.wait(wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def consent_terms(level: str = "pixelate") -> dict[str, Any]:
    """Consent for a bench recipient: event look-ins and a check-in window around now, at `level`, 60 s at most."""
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    now_local = datetime.now(ZoneInfo("Europe/Stockholm"))
    return {"given_by": [{"role": "recipient", "name": "Bench"}], "given_at": start, "valid_from": start,
            "scope": {"scheduled": [{"at": f"{now_local:%H:%M}", "window_min": 20}], "event_kinds": ["on_floor"],
                      "privacy_level": level, "max_lookin_s": 60}}
