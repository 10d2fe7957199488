"""Central's side of look-ins: the connected nodes, the live look-ins, and the relay of offers and answers.

Central never carries media: it forwards the browser's SDP offer to the node over the node's control channel and
returns the node's answer (non-trickle: every candidate is in it). It records each look-in's start and stop, as the
node reports them, in the audit trail, and ends a look-in whose reason has expired (its event acknowledged or
ended). A node's channel and its look-ins live on the instance it connected to; a look-in asked for on another
instance reaches it through Redis (`central.lookins.relay`), so any instance can open, poll and close any look-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from central.audit import store as audit_store
from central.events.feed import EventFeed, FeedItem
from central.lookins.records import LiveLookin, NodeBusyError, NodeUnavailableError
from central.lookins.relay import InstanceRelay
from nattvakt.consent_transport import master_key
from nattvakt.lookin_protocol import Answer, Close, Hello, Offer, Refused, Started, Stopped
from nattvakt.settings import Settings

log = logging.getLogger(__name__)
RECONCILE_AFTER_S = 3.0
ENDED_KEPT = 1000


__all__ = ["LiveLookin", "NodeBusyError", "NodeHub", "NodeLink", "NodeUnavailableError", "open_lookin_hub"]


@dataclass
class NodeLink:
    """One node's open control channel."""

    node_id: str
    socket: WebSocket
    hello: Hello | None = None
    pending: dict[str, asyncio.Future[Answer | Refused]] = field(default_factory=dict)
    link_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Tells this channel from the node's next one (a reconnect must not lose the owner record to the old one)."""

    async def send(self, message: BaseModel) -> None:
        await self.socket.send_text(message.model_dump_json())


class NodeHub:
    """Owns the node links, live look-ins and the task that ends look-ins whose event is settled."""

    def __init__(
        self, sessions: sessionmaker[Session], feed: EventFeed, redis: aioredis.Redis, master: bytes,
        answer_timeout_s: float, relay: InstanceRelay,
    ) -> None:
        self._sessions = sessions
        self.redis = redis
        """Central's async Redis client (consent copies are read from it for nodes that connect)."""
        self.master = master
        self._feed = feed
        self._answer_timeout_s = answer_timeout_s
        self.relay = relay
        self.nodes: dict[str, NodeLink] = {}
        self.lookins: dict[str, LiveLookin] = {}
        self._task: asyncio.Task[None] | None = None
        self._reconciling: set[asyncio.Task[None]] = set()
        """Background work (reconciling a node's look-ins, releasing a closed channel's owner record)."""
        self.ended: OrderedDict[str, str] = OrderedDict()
        """Why recent look-ins ended (the console asks, to tell staff why the picture went)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch_events(), name="look-in reason watcher")
        self.relay.start(self._relay_here, self._close_here)

    async def stop(self) -> None:
        await self.relay.stop()
        for task in [self._task, *self._reconciling]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def viewers(self, node_id: str) -> int:
        return sum(1 for lookin in self.lookins.values() if lookin.node_id == node_id)

    def max_viewers(self, node_id: str) -> int:
        link = self.nodes.get(node_id)
        return link.hello.max_viewers if link is not None and link.hello is not None else 1

    async def audit(self, kind: str, lookin: LiveLookin, details: dict[str, Any]) -> None:
        base = {"lookin_id": lookin.lookin_id, "node_id": lookin.node_id, "room": lookin.room,
                "action": lookin.action, "reason": lookin.reason, "event_id": lookin.event_id}

        def work() -> None:
            with self._sessions() as db:
                audit_store.record(db, kind, lookin.staff, lookin.recipient_id, {**base, **details})

        await asyncio.to_thread(work)

    # --- the node's side -------------------------------------------------------------------------------------

    def attach(self, link: NodeLink) -> NodeLink | None:
        """Register a node's channel; returns the link it replaces (a reconnect), which the caller closes."""
        old = self.nodes.get(link.node_id)
        self.nodes[link.node_id] = link
        return old

    async def push(self, node_id: str, message: BaseModel) -> bool:
        """Send a node a message if its channel is open here; False when not (it gets the news on connect)."""
        link = self.nodes.get(node_id)
        if link is None:
            return False
        try:
            await link.send(message)
        except (RuntimeError, OSError, WebSocketDisconnect) as exc:
            log.warning("could not push %s to node %s: %s", type(message).__name__, node_id, exc)
            return False
        return True

    def detach(self, link: NodeLink) -> None:
        if self.nodes.get(link.node_id) is link:
            del self.nodes[link.node_id]
            self._background(self._release(link))
        for future in link.pending.values():
            if not future.done():
                future.set_exception(NodeUnavailableError(f"node {link.node_id} disconnected"))

    async def on_message(self, link: NodeLink, message: Hello | Answer | Refused | Started | Stopped) -> None:
        if isinstance(message, Hello):
            link.hello = message
            try:
                await self.relay.claim(link.node_id, link.link_id)
            except RedisError as exc:  # look-ins through this instance still work; through others, not yet
                log.warning("node %s: cannot register its channel for other instances (Redis: %s)",
                            link.node_id, exc)
            await self._take_over(link, message.active)
            # Stops the node queued while away arrive right after its hello; what is still unaccounted for then
            # ended without word (the node restarted): record it, or the room would stay "busy" for ever.
            known = {i for i, lookin in self.lookins.items() if lookin.node_id == link.node_id} - set(message.active)
            self._background(self._reconcile(known))
            return
        if isinstance(message, Answer | Refused):
            future = link.pending.get(message.lookin_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        lookin = self.lookins.get(message.lookin_id)
        if lookin is None and isinstance(message, Stopped):  # it ran on an instance that has gone since
            lookin = await self._recorded(message.lookin_id)
        if lookin is None or lookin.node_id != link.node_id:
            log.warning("node %s reported %s for unknown look-in %s", link.node_id, message.type, message.lookin_id)
            return
        if isinstance(message, Started):
            lookin.started_at = datetime.now(UTC)
            await self.audit("lookin_started", lookin, {"level": message.level})
        else:
            self.lookins.pop(message.lookin_id, None)
            await self._remember_end(message.lookin_id, message.why)
            await self.audit("lookin_stopped", lookin, {
                "why": message.why, "duration_s": message.duration_s, "frames": message.frames,
                "started": message.started,
                "started_at": lookin.started_at.isoformat() if lookin.started_at else None,
            })

    async def _recorded(self, lookin_id: str) -> LiveLookin | None:
        try:
            record = await self.relay.live(lookin_id)
        except RedisError as exc:
            log.warning("cannot read look-in %s's record (Redis: %s)", lookin_id, exc)
            return None
        return record.lookin if record is not None else None

    async def _take_over(self, link: NodeLink, active: Sequence[str]) -> None:
        """The node's live look-ins that another instance carried (it went away, the node reconnected here): this
        instance carries them now, so closes, expired reasons and their stop records work as before."""
        for lookin_id in active:
            if lookin_id in self.lookins:
                continue
            lookin = await self._recorded(lookin_id)
            if lookin is None or lookin.node_id != link.node_id:
                continue
            self.lookins[lookin_id] = lookin
            try:
                await self.relay.mark_live(lookin, None)
            except RedisError as exc:
                log.warning("look-in %s taken over, not recorded for other instances (Redis: %s)", lookin_id, exc)
            log.info("look-in %s on node %s taken over from another instance", lookin_id, link.node_id)

    async def _reconcile(self, unaccounted: set[str]) -> None:
        """Look-ins central knew of when the node said hello, which the node does not have: after a grace period for
        the stops the node queued while away, record those still unaccounted for as lost."""
        await asyncio.sleep(RECONCILE_AFTER_S)
        for lookin_id in unaccounted:
            lookin = self.lookins.pop(lookin_id, None)
            if lookin is not None:
                await self._remember_end(lookin_id, "lost")
                await self.audit("lookin_stopped", lookin, {
                    "why": "lost", "duration_s": None, "started": lookin.started_at is not None,
                    "started_at": lookin.started_at.isoformat() if lookin.started_at else None,
                })

    async def _remember_end(self, lookin_id: str, why: str) -> None:
        self.ended[lookin_id] = why
        while len(self.ended) > ENDED_KEPT:
            self.ended.popitem(last=False)
        try:
            await self.relay.mark_ended(lookin_id, why)
        except RedisError as exc:  # this instance still knows; others say "unknown" for this one
            log.warning("look-in %s ended (%s), not recorded for other instances (Redis: %s)", lookin_id, why, exc)

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._reconciling.add(task)
        task.add_done_callback(self._reconciling.discard)

    async def _release(self, link: NodeLink) -> None:
        try:
            await self.relay.release(link.node_id, link.link_id)
        except RedisError as exc:  # the record names this instance until the node reconnects somewhere
            log.warning("node %s: cannot clear its channel's record (Redis: %s)", link.node_id, exc)

    # --- the browser's side ----------------------------------------------------------------------------------

    async def open(self, lookin: LiveLookin, offer: Offer) -> Answer | Refused:
        """Send the offer to the node, here or through the instance holding its channel, and wait for its answer or
        refusal; NodeBusyError when the room has all the viewers it allows, NodeUnavailableError when no instance
        reaches the node."""
        if lookin.node_id in self.nodes:
            return await self._relay_here(lookin, offer)
        owner = await self.relay.owner(lookin.node_id)
        if owner is None or owner == self.relay.instance:
            raise NodeUnavailableError(f"camera node {lookin.node_id} is not connected")
        return await self.relay.forward_offer(owner, lookin, offer)

    async def _relay_here(self, lookin: LiveLookin, offer: Offer) -> Answer | Refused:
        """The offer to a node whose channel is on this instance (asked here or by another instance)."""
        link = self.nodes.get(lookin.node_id)
        if link is None:
            raise NodeUnavailableError(f"camera node {lookin.node_id} is not connected")
        if self.viewers(lookin.node_id) >= self.max_viewers(lookin.node_id):
            raise NodeBusyError(f"someone is already looking in on room {lookin.room}")
        future: asyncio.Future[Answer | Refused] = asyncio.get_running_loop().create_future()
        link.pending[offer.lookin_id] = future
        self.lookins[lookin.lookin_id] = lookin
        try:
            await link.send(offer)
            reply = await asyncio.wait_for(future, self._answer_timeout_s)
        except (TimeoutError, NodeUnavailableError, OSError, RuntimeError) as exc:
            self.lookins.pop(lookin.lookin_id, None)
            raise NodeUnavailableError(f"camera node {lookin.node_id} did not answer: {exc or 'timeout'}") from exc
        finally:
            link.pending.pop(offer.lookin_id, None)
        if isinstance(reply, Refused):
            self.lookins.pop(lookin.lookin_id, None)
            return reply
        try:
            await self.relay.mark_live(lookin, reply.max_duration_s)
        except RedisError as exc:  # polls through this instance still see it
            log.warning("look-in %s not recorded for other instances (Redis: %s)", lookin.lookin_id, exc)
        return reply

    async def state(self, lookin_id: str) -> tuple[bool, str]:
        """Whether a look-in is live, here or on any instance, and if not why it ended ("unknown" if no one knows)."""
        if lookin_id in self.lookins:
            return True, ""
        carrier, why = await self.relay.state(lookin_id)
        if carrier is not None and carrier != self.relay.instance:
            return True, ""
        return False, self.ended.get(lookin_id) or why or "unknown"

    async def close(self, lookin_id: str, why: str) -> bool:
        """Ask the node to end a look-in, here or through the instance carrying it; returns whether it was live."""
        if lookin_id not in self.lookins:
            carrier, _ended = await self.relay.state(lookin_id)
            if carrier is None or carrier == self.relay.instance:
                return False
            return await self.relay.forward_close(carrier, lookin_id, why)
        return await self._close_here(lookin_id, why)

    async def _close_here(self, lookin_id: str, why: str) -> bool:
        lookin = self.lookins.get(lookin_id)
        if lookin is None:
            return False
        link = self.nodes.get(lookin.node_id)
        if link is not None:
            with contextlib.suppress(OSError, RuntimeError):  # a closing socket: the node stops it by itself
                await link.send(Close(lookin_id=lookin_id, why=why))
        return True

    async def _watch_events(self) -> None:
        """End event look-ins when their event is acknowledged or ended: the reason has expired."""
        queue = self._feed.subscribe()
        try:
            while True:
                item: FeedItem = await queue.get()
                why = "event_acknowledged" if item.acknowledged_by else (
                    "event_ended" if item.event.state == "ended" else None)
                if why is None:
                    continue
                for lookin in list(self.lookins.values()):
                    if lookin.event_id == item.event.id:
                        await self._close_here(lookin.lookin_id, why)
        finally:
            self._feed.unsubscribe(queue)


def open_lookin_hub(
    settings: Settings, sessions: sessionmaker[Session], feed: EventFeed, redis: aioredis.Redis
) -> NodeHub:
    key = master_key(settings, create=True)
    assert key is not None
    timeout = settings.central.lookin_answer_timeout_s
    relay = InstanceRelay(redis, settings.events_stream, settings.central.instance, timeout)
    return NodeHub(sessions, feed, redis, key, timeout, relay)
