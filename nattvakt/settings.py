"""All configuration, read once from `NATTVAKT_*` environment variables.

Sections are nested models so each part receives only its own section; a nested
field is set with a double underscore, e.g. `NATTVAKT_CENTRAL__PORT=8001`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nattvakt.errors import NattvaktError
from nattvakt.geometry import polygon_problem
from nattvakt.night import HOME_TIMEZONE

ENV_PREFIX = "NATTVAKT_"
NESTED_DELIMITER = "__"


class IceServer(BaseModel):
    """A STUN or TURN server for look-ins where the browser cannot reach the node directly (e.g. coturn)."""

    urls: tuple[str, ...] = Field(min_length=1)
    """e.g. `["turn:turn.example.se:3478?transport=udp", "turns:turn.example.se:5349"]`."""
    username: str | None = None
    credential: SecretStr | None = None


class ForwardingSettings(BaseModel):
    """Alarms that reach staff away from the console: a HIGH event nobody acknowledged is forwarded, again and again."""

    after_s: float = Field(120.0, ge=1, le=3600)
    """Seconds a HIGH event (or an overdue visit) may wait unacknowledged before it is forwarded."""
    repeat_s: float = Field(300.0, ge=1, le=3600)
    """Seconds between forwarding rounds while it stays unacknowledged (each round says its number)."""
    max_rounds: int = Field(6, ge=1, le=100)
    """Rounds after which forwarding one event stops (it still waits on the console)."""
    public_url: str = Field("", max_length=300, pattern=r"^(https?://[^\s]+)?$")
    """The console's address as staff's phones reach it: the link in every forwarded message."""
    webhook_url: str = Field("", max_length=500, pattern=r"^(https?://[^\s]+)?$")
    """Where alarms are POSTed as signed JSON (an alarm receiving centre, an SMS/DECT gateway); empty: none."""
    webhook_secret: SecretStr | None = Field(None, min_length=16)
    """Key of the HMAC-SHA256 signature in `X-Nattvakt-Signature`; required with a webhook."""
    webhook_attempts: int = Field(5, ge=1, le=20)
    """Tries of one webhook delivery (doubling pauses from `webhook_backoff_s`) before the round gives up on it."""
    webhook_backoff_s: float = Field(1.0, ge=0.01, le=60)
    """First pause between webhook tries."""
    webhook_timeout_s: float = Field(5.0, ge=0.1, le=60)
    """How long one webhook try may take."""
    push_contact: str = Field("mailto:drift@example.invalid", pattern=r"^(mailto:|https://).+")
    """Who runs this central, for push services (the VAPID `sub` claim)."""

    @model_validator(mode="after")
    def _signed(self) -> ForwardingSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("a webhook needs central__forwarding__webhook_secret (at least 16 characters)")
        return self


class CentralSettings(BaseModel):
    """The console service."""

    host: str = "127.0.0.1"
    """Interface the console listens on."""
    port: int = Field(8000, ge=1, le=65535)
    """TCP port of the console."""
    instance: str = Field("central-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    """Consumer name of this instance in the Redis consumer group."""
    session_hours: float = Field(12.0, gt=0, le=24 * 7)
    """How long a staff login lasts: one night shift by default."""
    feed_history: int = Field(500, ge=10, le=100_000)
    """How many recent events the console keeps in memory for newly opened pages."""
    claim_idle_s: float = Field(30.0, ge=1, le=3600)
    """A central instance silent this long is taken for dead: a live one claims its pending events."""
    node_offline_after_s: float = Field(20.0, ge=1, le=3600)
    """A node without a heartbeat this long raises `node_offline` (HIGH): a failed camera needs a visit."""
    audit_retention_years: float = Field(10.0, gt=0, le=100)
    """Years audit records (look-ins, consent changes, logins) are kept before `nattvakt audit prune` removes them."""
    record_retention_years: float = Field(10.0, gt=0, le=100)
    """Years event revisions and acknowledgements are kept before `nattvakt record prune` removes them."""
    pause_ends_hour: int = Field(8, ge=0, le=23)
    """Local hour (the recipient's time zone) at which a 'pause for tonight' ends."""
    login_lockout_after: int = Field(5, ge=1, le=100)
    """Failed logins in a row (per username) after which that username is locked out for a while."""
    login_lockout_base_s: float = Field(30.0, gt=0, le=3600)
    """First lockout; each further failure doubles it, up to `login_lockout_max_s`."""
    login_lockout_max_s: float = Field(900.0, gt=0, le=86_400)
    """Longest lockout: long enough to stop guessing, short enough not to lock a night shift out for the night."""
    allowed_origins: tuple[str, ...] = ()
    """Extra origins (scheme://host[:port]) allowed to send state-changing requests, e.g. behind a proxy."""
    relook_after_min: float = Field(15.0, ge=1, le=120)
    """Minutes after a check-in where the person was not visible until staff must look again."""
    visit_check_every_s: float = Field(5.0, ge=0.1, le=300)
    """How often central looks for visits past their promise (each raises a HIGH `visit_overdue` alarm)."""
    followup_min_count: int = Field(3, ge=1, le=100)
    """Follow-up reports show a count from 1 up to this minus one as "fewer than N", and no times or rates resting
    on fewer events, so a small figure cannot single out one care recipient."""
    lookin_answer_timeout_s: float = Field(10.0, ge=1, le=60)
    """How long central waits for a node's WebRTC answer before the look-in counts as failed."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers the console's browsers use for look-ins (JSON); none needed on loopback or a LAN."""
    forwarding: ForwardingSettings = ForwardingSettings()
    home_timezone: str = HOME_TIMEZONE
    """IANA time zone of the home: its nights (noon to noon), reports and the console's clock; a new consent's zone."""

    @field_validator("home_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Stockholm)") from exc
        return value

    @property
    def home_zone(self) -> ZoneInfo:
        return ZoneInfo(self.home_timezone)


class ZoneSettings(BaseModel):
    """One zone of a room, drawn on the camera's view: where the bed, the floor, the door or a chair is."""

    name: str = Field(min_length=1, max_length=64)
    """Name staff recognise (it is the event's zone), e.g. `säng`."""
    kind: Literal["bed", "floor", "door", "chair"]
    """What the zone is: the rules treat bed, floor and door (exit) differently; a chair is neither bed nor floor."""
    polygon: tuple[tuple[float, float], ...]
    """Corners in order around the zone, as [x, y] fractions 0-1 of the view's width and height."""

    @model_validator(mode="after")
    def _usable_polygon(self) -> ZoneSettings:
        problem = polygon_problem(self.polygon)
        if problem is not None:
            raise ValueError(f"zone {self.name!r} {problem}")
        return self


class RuleSettings(BaseModel):
    """Timings and thresholds of the care rules (`camera_node/rules`), per room and so per care recipient."""

    on_floor_s: float = Field(2.0, ge=0.5, le=600)
    """Seconds a person must stay down in the floor zone before `on_floor` opens."""
    on_floor_clear_s: float = Field(5.0, ge=0.5, le=600)
    """Seconds without the person down on the floor before `on_floor` ends."""
    bed_exit_s: float = Field(3.0, ge=0.5, le=600)
    """Seconds out of the bed zone, after being in it, before `bed_exit` opens."""
    out_of_bed_too_long_min: float = Field(20.0, ge=1, le=24 * 60)
    """Minutes out of bed after a bed exit before `out_of_bed_too_long` opens."""
    multiple_people_s: float = Field(3.0, ge=0.5, le=600)
    """Seconds with two or more people before `multiple_people` opens (bed rules pause while it is open)."""
    left_room_s: float = Field(5.0, ge=0.5, le=600)
    """Seconds a person last seen at the door (or the edge of the view) must stay gone before `left_room`."""
    recheck_s: float = Field(2.0, ge=0.2, le=600)
    """A tracked person not seen by perception this long is looked at again even without motion."""
    track_score: float = Field(0.25, gt=0, lt=1)
    """Person score that keeps an existing track alive and, repeated, starts one (see `start_score`)."""
    start_score: float = Field(0.5, gt=0, lt=1)
    """Person score that starts a track in `3` looks; weaker ones (≥ `track_score`) need `weak_start_hits` looks
    over `weak_start_s` (a person first seen lying or sitting scores 0.25-0.45)."""
    weak_start_hits: int = Field(6, ge=2, le=100)
    """Weak detections (≥ `track_score`) in one place that start a track without a sure one."""
    weak_start_s: float = Field(1.5, ge=0, le=60)
    """...spread over at least this many seconds (one flicker of a shadow is not a person)."""
    not_visible_s: float = Field(60.0, ge=5, le=3600)
    """A tracked person not found for this long, last seen away from any exit and out of bed (behind the bed,
    under a blanket on the floor), raises `person_not_visible` (MEDIUM) instead of being forgotten."""
    lying_aspect: float = Field(0.95, gt=0, le=5)
    """Box width/height at or above which a person reads as lying (a standing person is about 0.4)."""


class NodeSettings(BaseModel):
    """One camera node (one room)."""

    node_id: str = Field("node-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    """Stable name of this node; it prefixes its log lines and events."""
    room: str = Field("rum-1", min_length=1, max_length=64)
    """Room the camera looks at."""
    recipient: str = Field("", max_length=128)
    """Care recipient living in the room (empty when unassigned)."""
    source: str = "synthetic"
    """Camera source: `synthetic`, a file path, a V4L2 index such as `0`, or an rtsp:// or http(s):// URL (a user
    and password in the URL are never logged or shown: see `redact_url`). Prefer the camera's sub-stream."""
    source_transport: Literal["tcp", "udp"] = "tcp"
    """RTSP transport: TCP loses no packets on a busy Wi-Fi or switch (UDP loss smears the picture)."""
    source_open_timeout_s: float = Field(10.0, ge=0.5, le=120)
    """Seconds opening a network camera may take before the attempt counts as failed (a camera still booting)."""
    source_read_timeout_s: float = Field(5.0, ge=0.2, le=120)
    """A network camera that sends no frame this long (connection open, picture stalled) is dropped and reconnected."""
    source_retry_first_s: float = Field(0.5, ge=0.01, le=60)
    """First wait before reconnecting a lost camera; it doubles after each failed attempt."""
    source_retry_max_s: float = Field(10.0, ge=0.05, le=600)
    """Longest wait between reconnects: a rebooted camera is back in the picture at most this long after it is up."""
    source_refused_retry_max_s: float = Field(120.0, ge=0.05, le=3600)
    """Longest wait between attempts while the camera refuses the user, password or path (many cameras lock an
    account after a few wrong passwords in a row)."""
    loop: bool = True
    """Loop a file source (for demos and tests)."""
    fps: float = Field(10.0, gt=0, le=60)
    """Frames per second the pipeline aims to process."""
    width: int = Field(640, ge=64, le=4096)
    """Width of the synthetic scene."""
    height: int = Field(480, ge=48, le=4096)
    """Height of the synthetic scene."""
    motion_threshold: float = Field(0.004, gt=0, lt=1)
    """Fraction of changed pixels that counts as motion."""
    motion_quiet_s: float = Field(3.0, ge=0, le=600)
    """Seconds without motion before a motion event ends and a new one can open."""
    motion_ignore: tuple[tuple[tuple[float, float], ...], ...] = ()
    """Areas motion ignores (a TV, a curtain): JSON polygons of [x, y] as fractions 0-1 of the view."""
    motion_background: Literal["running_average", "mog2"] = "running_average"
    """Motion background model; the running average is as good as MOG2 on our clips at a fraction of the cost."""
    camera_fault_after_s: float = Field(10.0, ge=0.5, le=3600)
    """Seconds a picture must stay lost, frozen, black or covered before `camera_fault` is raised."""
    health_port: int = Field(0, ge=0, le=65535)
    """Port of the node's health endpoint (`GET /healthz`: stage timings p50/p99, capture counters); 0 = off."""
    health_host: str = "127.0.0.1"
    """Interface the node's health endpoint listens on."""
    heartbeat_s: float = Field(5.0, gt=0, le=300)
    """How often the node tells central it is alive; keep it well under `central.node_offline_after_s`."""
    spool_max_events: int = Field(10_000, ge=10, le=10_000_000)
    """Events the node keeps on disk while Redis is away; beyond it the least urgent, oldest go (never HIGH)."""
    consent_key: SecretStr | None = None
    """This node's own consent-copy key (hex, from `nattvakt consent node-key`); unset: derived from the master key."""
    perception_enabled: bool = True
    """Find people (pose model and box detector on raw frames, inside `privacy`); off: motion-only rules."""
    perception_threads: int = Field(2, ge=1, le=16)
    """ONNX Runtime intra-op threads for perception (the edge box has 2 cores)."""
    perception_max_rate: float = Field(5.0, gt=0, le=60)
    """Most perception runs per second; it runs on motion, when a tracked person is due a look, and on idle scans."""
    perception_idle_scan_s: float = Field(3.0, ge=0.5, le=3600)
    """With nobody tracked, perception looks this often when the picture changed since its last look (a person who
    lay down while the camera was blind, or who barely moves, is still found); a still, empty room costs nothing."""
    perception_box_every: int = Field(2, ge=0, le=100)
    """Every n-th perception run also runs the box detector (small and distant people, crowds); 0: never."""
    zones: tuple[ZoneSettings, ...] = ()
    """Zones of the room as JSON, e.g. `[{"name": "säng", "kind": "bed", "polygon": [[0.2, 0.4], ...]}]`; checked
    at load (in the view, not self-intersecting, not empty). No floor zone: all the view is floor; no bed zone: no
    bed rules."""
    rules: RuleSettings = RuleSettings()
    """Care-rule timings (`NATTVAKT_NODE__RULES__ON_FLOOR_S=...`)."""
    central_url: str = Field("", pattern=r"^(wss?://.+)?$")
    """Control-channel WebSocket of central (ws:// or wss://); empty: ws://<central.host>:<central.port>."""
    token: SecretStr | None = None
    """This node's control-channel token (`python -m nattvakt.node_token NODE` on central); unset: derived from the
    master key when it is on this machine (the demo)."""
    lookin_max_viewers: int = Field(1, ge=1, le=8)
    """Look-ins this node streams at once: one viewer per room unless configured."""
    lookin_ice_timeout_s: float = Field(10.0, ge=1, le=120)
    """A look-in whose browser has not connected this long fails ("camera not reachable - visit in person")."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers this node uses for look-ins (JSON), usually the same as `central.ice_servers`."""


    @model_validator(mode="after")
    def _retry_order(self) -> NodeSettings:
        if self.source_retry_first_s > min(self.source_retry_max_s, self.source_refused_retry_max_s):
            raise ValueError(
                f"source_retry_first_s={self.source_retry_first_s!r} must not exceed source_retry_max_s and"
                " source_refused_retry_max_s"
            )
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """The camera URL's user and password stay out of every repr (a setting printed in a log or a traceback)."""
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "source" else value

    @field_validator("motion_ignore")
    @classmethod
    def _polygons_inside_view(
        cls, value: tuple[tuple[tuple[float, float], ...], ...]
    ) -> tuple[tuple[tuple[float, float], ...], ...]:
        for polygon in value:
            if len(polygon) < 3:
                raise ValueError(f"an ignore polygon needs at least 3 corners, got {polygon!r}")
            if any(not (0.0 <= c <= 1.0) for point in polygon for c in point):
                raise ValueError(f"ignore polygon corners are fractions 0-1 of the view, got {polygon!r}")
        return value

    @field_validator("zones")
    @classmethod
    def _zone_names_unique(cls, value: tuple[ZoneSettings, ...]) -> tuple[ZoneSettings, ...]:
        names = [zone.name for zone in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"zone names must be unique (they name the zone in events): {repeated!r} repeated")
        return value


class Settings(BaseSettings):
    """Root settings; `load_settings` is the only place that reads the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="ignore",
        frozen=True,
    )

    redis_url: str | None = None
    """Redis for the event bus; when unset, `nattvakt demo` starts an embedded one."""
    database_url: str = "sqlite:///./var/nattvakt.db"
    """Relational store (SQLite by default, PostgreSQL with postgresql+psycopg://)."""
    data_dir: Path = Path("./var")
    """Where local state (SQLite file, embedded Redis, spool) lives."""
    events_stream: str = Field("nattvakt:events", min_length=1)
    """Redis Stream that carries events from nodes to central."""
    events_retention: int = Field(100_000, ge=1_000, le=100_000_000)
    """Entries the event stream keeps (approximate XADD MAXLEN): older ones are trimmed even if still pending."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Log level of every process."""
    demo_password: SecretStr | None = None
    """Password for the demo login; a random one is made when unset."""
    consent_key: SecretStr | None = Field(None, min_length=16)
    """Central's master key for signing nodes' consent copies; unset: a random one kept in `data_dir`."""
    central: CentralSettings = CentralSettings()
    node: NodeSettings = NodeSettings()

    def redis_url_or_default(self) -> str:
        """The configured Redis URL, or the conventional local one."""
        return self.redis_url or "redis://127.0.0.1:6379/0"


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s'\"]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&](?:user|username|usr|password|passwd|pwd|pass|token|key|auth)=)[^&#\s'\"]*")


def redact_url(text: str) -> str:
    """`text` with every URL's user and password, and credential query parameters, replaced by `***`.

    Cameras take credentials in the URL (`rtsp://admin:secret@...`, `?user=...&password=...`); only this form of a
    source may reach a log line, an event, the health endpoint or a metric. Works on free text that quotes a URL too.
    """
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub(r"\1***@", text))


class SettingsError(NattvaktError, ValueError):
    """A setting has a value that is not allowed; the message names the variable."""


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + NESTED_DELIMITER.join(str(part) for part in loc).upper()


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _env_name(tuple(first["loc"]))
        raise SettingsError(redact_url(f"bad setting {name}={first.get('input')!r}: {first['msg']}")) from exc
