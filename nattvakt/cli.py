"""The `nattvakt` command: demo, node, central, users, audit."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from typing import NoReturn

from nattvakt.settings import Settings, SettingsError, load_settings

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line (and still exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _build_parser() -> _Parser:
    parser = _Parser(prog="nattvakt", description="Nattvakt digital night supervision")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="{demo,node,central,users,audit,consent,bench}", parser_class=_Parser
    )
    sub.add_parser("demo", help="start Redis (embedded if none configured), central and a sample camera node")
    node = sub.add_parser("node", help="run one camera node")
    node.add_argument(
        "--check-source", nargs="?", const="", metavar="URL",
        help="open the camera URL (default: NATTVAKT_NODE__SOURCE), print resolution, fps, codec and decode time,"
             " and exit 0 if frames came, 1 if not",
    )
    sub.add_parser("central", help="run the night-patrol console")
    users = sub.add_parser("users", help="manage staff logins")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="{add}", parser_class=_Parser)
    add = users_sub.add_parser("add", help="create a login, or reset its password and role")
    add.add_argument("username")
    add.add_argument("--role", choices=["night_staff", "nurse_admin", "ops"], default="night_staff")
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    audit = sub.add_parser("audit", help="check or prune the hash-chained audit trail")
    audit_sub = audit.add_subparsers(
        dest="audit_command", required=True, metavar="{verify,prune}", parser_class=_Parser
    )
    audit_sub.add_parser("verify", help="check every record; exit 1 naming the first bad one if any was tampered with")
    audit_sub.add_parser("prune", help="remove records older than NATTVAKT_CENTRAL__AUDIT_RETENTION_YEARS")
    record = sub.add_parser("record", help="the record of events and acknowledgements")
    record_sub = record.add_subparsers(dest="record_command", required=True, metavar="{prune}", parser_class=_Parser)
    record_sub.add_parser("prune", help="remove records older than NATTVAKT_CENTRAL__RECORD_RETENTION_YEARS")
    consent = sub.add_parser("consent", help="consent-copy keys")
    consent_sub = consent.add_subparsers(dest="consent_command", required=True, metavar="{node-key}",
                                         parser_class=_Parser)
    node_key = consent_sub.add_parser("node-key", help="print the key a node needs (NATTVAKT_NODE__CONSENT_KEY)")
    node_key.add_argument("node_id")
    from benchmarks import BENCHMARKS

    bench = sub.add_parser("bench", help="run a benchmark; exits 1 when benchmarks/budgets.toml is broken")
    bench.add_argument("benchmark", choices=sorted(BENCHMARKS))
    bench.add_argument("options", nargs=argparse.REMAINDER, help="passed on to the benchmark (try --help)")
    return parser


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _run_central(settings: Settings) -> int:
    import uvicorn

    from central.app import create_app
    from nattvakt.netcheck import ensure_port_free

    ensure_port_free(settings.central.host, settings.central.port, "NATTVAKT_CENTRAL__PORT")
    uvicorn.run(
        create_app(settings), host=settings.central.host, port=settings.central.port, log_level="warning",
        timeout_graceful_shutdown=3,
    )
    return 0


def _quiet_video_libraries(settings: Settings) -> None:
    """FFmpeg and OpenCV print their own stderr line at every reconnect attempt, outside logging; the node logs each
    cause once itself (with the camera's answer), so below DEBUG they only speak when fatal. Before cv2 loads."""
    if settings.log_level != "DEBUG":
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")  # AV_LOG_FATAL
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


def _run_node(settings: Settings) -> int:
    _quiet_video_libraries(settings)
    from camera_node.capture import CaptureError, check_source_spec
    from camera_node.node import run_node

    try:
        check_source_spec(settings.node.source)
    except CaptureError as exc:
        print(f"nattvakt node: {exc} (NATTVAKT_NODE__SOURCE)", file=sys.stderr)
        return EXIT_USAGE
    from camera_node.spool import SpoolError

    try:
        asyncio.run(run_node(settings))
    except SpoolError as exc:
        print(f"nattvakt node: {exc} (NATTVAKT_DATA_DIR, NATTVAKT_NODE__NODE_ID)", file=sys.stderr)
        return 1
    return 0


def _check_source(settings: Settings, url: str) -> int:
    """`nattvakt node --check-source [URL]`: without URL, the configured source (no password on the command line)."""
    _quiet_video_libraries(settings)
    from camera_node.network_source import NetworkOptions
    from camera_node.source_check import check_source
    from nattvakt.settings import redact_url

    if "://" not in url:
        print(f"nattvakt node: --check-source takes a camera URL (rtsp://...), got {redact_url(url)!r}",
              file=sys.stderr)
        return EXIT_USAGE
    return check_source(url, NetworkOptions.from_settings(settings.node))


def _users_add(settings: Settings, args: argparse.Namespace) -> int:
    from central.db import open_store
    from central.staff.service import upsert_staff

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    engine, sessionmaker = open_store(settings.database_url)
    try:
        with sessionmaker() as db:
            upsert_staff(db, args.username, password, args.role, args.display_name)
    except ValueError as exc:
        print(f"nattvakt users add: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    print(f"login {args.username!r} ({args.role}) saved")
    return 0


def _run_bench(name: str, options: list[str]) -> int:
    import importlib

    from benchmarks import BENCHMARKS

    module = importlib.import_module(BENCHMARKS[name])
    result: int = module.main(options)
    return result


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"nattvakt: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _configure_logging(settings)

    from nattvakt.netcheck import PortTakenError

    try:
        if args.command == "demo":
            from nattvakt.demo import run_demo

            return run_demo(settings)
        if args.command == "central":
            return _run_central(settings)
        if args.command == "node":
            if args.check_source is not None:
                return _check_source(settings, args.check_source or settings.node.source)
            return _run_node(settings)
        if args.command == "bench":
            return _run_bench(args.benchmark, args.options)
        if args.command == "consent":
            return _print_node_key(settings, args.node_id)
        if args.command == "record":
            from central.record.cli import run_record_command

            return run_record_command(settings)
        if args.command == "audit":
            from central.audit.cli import run_audit_command

            return run_audit_command(settings, args.audit_command)
        return _users_add(settings, args)
    except PortTakenError as exc:
        print(f"nattvakt {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())


def _print_node_key(settings: Settings, node_id: str) -> int:
    """`nattvakt consent node-key NODE`: the hex key to give that node, derived from central's master key."""
    from nattvakt.consent_transport import master_key
    from privacy.consent_signing import derive_node_key

    master = master_key(settings, create=True)
    assert master is not None
    print(derive_node_key(master, node_id).hex())
    return 0
