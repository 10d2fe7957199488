"""Container health check: exit 0 when a health URL answers 200, 1 otherwise (`python -m nattvakt.healthcheck URL`).

The slim images have no curl; this uses only the standard library and says why it failed.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def check(url: str, timeout: float = 4.0) -> tuple[bool, str]:
    """(healthy, one line saying what was seen)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"{url}: HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {getattr(exc, 'reason', exc)}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m nattvakt.healthcheck URL", file=sys.stderr)
        return 2
    healthy, line = check(args[0])
    print(line, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
