"""Prometheus metrics of one central instance (`GET /metrics`, role-free like `/healthz`, for the scraper).

Read at scrape time from the objects that already keep the figures (consumer, feed, node monitor, look-in hub),
so the hot paths carry no metrics code; audit records (look-ins, refusals, logins, consent changes) are counted
as they are committed, by kind. Each app has its own registry: two apps in one process (tests) never mix.
Every instance mirrors the whole event stream, so per-instance event counts are not to be summed across instances.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from central.audit.models import AuditEntry
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed
from central.nodes.monitor import NodeMonitor

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class AuditCounter:
    """Audit records committed through one sessionmaker, by kind (rolled-back ones are not counted)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.by_kind: Counter[str] = Counter()
        event.listen(sessions, "after_flush", self._flushed)
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", self._rolled_back)

    @staticmethod
    def _flushed(session: Session, _context: Any) -> None:
        kinds = [obj.kind for obj in session.new if isinstance(obj, AuditEntry)]
        if kinds:
            session.info.setdefault("audit_kinds", []).extend(kinds)

    def _committed(self, session: Session) -> None:
        self.by_kind.update(session.info.pop("audit_kinds", []))

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop("audit_kinds", None)


class CentralCollector(Collector):
    def __init__(self, consumer: EventConsumer, feed: EventFeed, monitor: NodeMonitor, audit: AuditCounter,
                 live_lookins: Callable[[], int]) -> None:
        self._consumer, self._feed, self._monitor, self._audit = consumer, feed, monitor, audit
        self._live_lookins = live_lookins

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        consumer = self._consumer
        yield GaugeMetricFamily("nattvakt_consumer_up", "1 while the event consumer task runs", value=consumer.alive)
        yield GaugeMetricFamily("nattvakt_redis_connected", "1 while Redis answers", value=consumer.connected)
        yield CounterMetricFamily("nattvakt_stream_entries_read", "Stream entries this instance read",
                                  value=consumer.received)
        yield CounterMetricFamily("nattvakt_stream_duplicates", "Duplicate entries dropped by event id",
                                  value=consumer.duplicates)
        yield CounterMetricFamily("nattvakt_pending_claimed", "Pending entries claimed from silent instances",
                                  value=consumer.claimed)
        yield CounterMetricFamily("nattvakt_dead_letters", "Malformed entries parked in the dead-letter stream",
                                  value=consumer.dead_letters.parked)
        events = CounterMetricFamily("nattvakt_events", "Situations seen (opened), by kind and severity",
                                     labels=["kind", "severity"])
        for (kind, severity), count in sorted(self._feed.seen_by_kind.items()):
            events.add_metric([kind, severity], count)
        yield events
        open_events = GaugeMetricFamily("nattvakt_events_unacknowledged", "Events in the feed still waiting for staff",
                                        labels=["severity"])
        waiting: Counter[str] = Counter(
            item.event.severity.name for item in self._feed.recent() if not item.settled
        )
        for severity, count in sorted(waiting.items()):
            open_events.add_metric([severity], count)
        yield open_events
        yield CounterMetricFamily("nattvakt_node_offline_raised", "node_offline alarms raised",
                                  value=self._monitor.raised)
        yield CounterMetricFamily("nattvakt_node_offline_ended", "node_offline alarms ended (node back)",
                                  value=self._monitor.ended)
        audit = CounterMetricFamily("nattvakt_audit_records", "Audit records committed by this instance, by kind "
                                    "(lookin_started, lookin_refused, login, consent changes...)", labels=["kind"])
        for kind, count in sorted(self._audit.by_kind.items()):
            audit.add_metric([kind], count)
        yield audit
        yield GaugeMetricFamily("nattvakt_lookins_live", "Look-ins streaming now through this instance's nodes",
                                value=self._live_lookins())


def central_registry(collector: CentralCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
