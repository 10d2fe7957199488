"""Look-ins through any central instance: which instance holds a node's control channel, and the relay of offers,
answers and closes between instances through Redis, so a load balancer needs no stickiness for look-ins.

A node's control channel lives on the one instance it connected to; that instance registers itself as the node's
owner (`claim`, a key per node) and clears the key when the channel closes, unless a newer channel took it meanwhile.
Every instance listens on its own pub/sub channel. An offer for a node held elsewhere is published to the owner's
channel; the owner relays it to the node as if it had been asked itself and publishes the node's reply on the asking
instance's channel. Live look-ins (with their owner) and why recent ones ended are kept in Redis as well, so any
instance answers the console's polls and forwards its closes. Pub/sub loses nothing that matters here: a message to
an instance that is gone reaches no one, and the request fails at once (`NodeUnavailableError`) until the node has
reconnected to a live instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from redis.exceptions import RedisError

from central.lookins.records import LiveLookin, NodeBusyError, NodeUnavailableError
from nattvakt.backoff import Backoff
from nattvakt.lookin_protocol import Answer, Close, Offer, Refused

log = logging.getLogger(__name__)

ENDED_KEPT_S = 3600
"""How long any instance can still say why a look-in ended."""
LIVE_MARGIN_S = 60
"""A live look-in's record outlives its longest allowed duration by this much (a dead owner cannot clear it)."""
REPLY_MARGIN_S = 2.0
"""An asking instance waits the answer timeout plus this for a relayed reply (the owner's own wait comes first)."""

_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LiveRecord(BaseModel):
    """A live look-in as every instance can read it: who carries it, and what the audit trail needs of it (so the
    instance a node reconnects to can take it over, and record its stop)."""

    instance: str
    lookin: LiveLookin


class RelayedOffer(BaseModel):
    """To the owner: relay this offer to the node, and reply on `reply_to`'s channel."""

    type: Literal["offer"] = "offer"
    reply_to: str
    lookin: LiveLookin
    offer: Offer


class RelayedClose(BaseModel):
    """To the owner: ask the node to end this look-in."""

    type: Literal["close"] = "close"
    close: Close


class RelayedReply(BaseModel):
    """Back to the asking instance: the node's answer or refusal, or why there is none."""

    type: Literal["reply"] = "reply"
    lookin_id: str
    reply: Answer | Refused | None = None
    busy: str | None = None
    unavailable: str | None = None


Relayed = Annotated[RelayedOffer | RelayedClose | RelayedReply, Field(discriminator="type")]
RELAYED: TypeAdapter[RelayedOffer | RelayedClose | RelayedReply] = TypeAdapter(Relayed)

RelayHere = Callable[[LiveLookin, Offer], Awaitable[Answer | Refused]]
CloseHere = Callable[[str, str], Awaitable[bool]]


class InstanceRelay:
    """This instance's end of the relay: node ownership, the listening task, and forwarding to other instances."""

    def __init__(self, redis: aioredis.Redis, stream: str, instance: str, answer_timeout_s: float) -> None:
        self._redis = redis
        self._prefix = f"{stream}:lookins"
        self.instance = instance
        self._answer_timeout_s = answer_timeout_s
        self._waiting: dict[str, asyncio.Future[RelayedReply]] = {}
        self._handling: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.listening = asyncio.Event()
        """Set while subscribed to this instance's channel (tests and start-up wait for it)."""

    # --- keys ------------------------------------------------------------------------------------------------

    def channel(self, instance: str) -> str:
        return f"{self._prefix}:to:{instance}"

    def _owner_key(self, node_id: str) -> str:
        return f"{self._prefix}:owner:{node_id}"

    def _live_key(self, lookin_id: str) -> str:
        return f"{self._prefix}:live:{lookin_id}"

    def _ended_key(self, lookin_id: str) -> str:
        return f"{self._prefix}:ended:{lookin_id}"

    # --- ownership and shared look-in state -----------------------------------------------------------------

    async def claim(self, node_id: str, link_id: str) -> None:
        """This instance now holds the node's channel (`link_id` tells this channel from a later one)."""
        await self._redis.set(self._owner_key(node_id), f"{self.instance} {link_id}")

    async def release(self, node_id: str, link_id: str) -> None:
        """The channel closed: forget the owner, unless a newer channel (here or elsewhere) has claimed the node."""
        await self._redis.eval(_COMPARE_AND_DELETE, 1, self._owner_key(node_id), f"{self.instance} {link_id}")

    async def owner(self, node_id: str) -> str | None:
        value = await self._redis.get(self._owner_key(node_id))
        return str(value).split(" ", 1)[0] if value else None

    async def mark_live(self, lookin: LiveLookin, max_duration_s: float | None) -> None:
        """Record a look-in this instance carries; `max_duration_s` None: a take-over, the record keeps its expiry."""
        record = LiveRecord(instance=self.instance, lookin=lookin).model_dump_json()
        if max_duration_s is None:
            await self._redis.set(self._live_key(lookin.lookin_id), record, keepttl=True, xx=True)
        else:
            await self._redis.set(self._live_key(lookin.lookin_id), record, ex=int(max_duration_s) + LIVE_MARGIN_S)

    async def live(self, lookin_id: str) -> LiveRecord | None:
        raw = await self._redis.get(self._live_key(lookin_id))
        if not raw:
            return None
        try:
            return LiveRecord.model_validate_json(raw)
        except ValidationError as exc:
            log.error("unreadable live look-in record %s: %s", lookin_id, exc.errors()[0]["msg"])
            return None

    async def mark_ended(self, lookin_id: str, why: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._live_key(lookin_id))
            pipe.set(self._ended_key(lookin_id), why, ex=ENDED_KEPT_S)
            await pipe.execute()

    async def state(self, lookin_id: str) -> tuple[str | None, str | None]:
        """(the instance carrying the look-in if it is live, why it ended if it has); both None when unknown."""
        record = await self.live(lookin_id)
        if record is not None:
            return record.instance, None
        ended = await self._redis.get(self._ended_key(lookin_id))
        return None, (str(ended) if ended else None)

    # --- forwarding to the owner ----------------------------------------------------------------------------

    async def forward_offer(self, owner: str, lookin: LiveLookin, offer: Offer) -> Answer | Refused:
        """Have the owning instance relay the offer; its reply, or NodeBusyError / NodeUnavailableError."""
        future: asyncio.Future[RelayedReply] = asyncio.get_running_loop().create_future()
        self._waiting[offer.lookin_id] = future
        try:
            message = RelayedOffer(reply_to=self.instance, lookin=lookin, offer=offer)
            if not await self._redis.publish(self.channel(owner), message.model_dump_json()):
                raise NodeUnavailableError(f"camera node {lookin.node_id} is on central instance {owner}, "
                                           "which is not listening (it may have stopped; the node reconnects)")
            try:
                reply = await asyncio.wait_for(future, self._answer_timeout_s + REPLY_MARGIN_S)
            except TimeoutError as exc:
                raise NodeUnavailableError(
                    f"central instance {owner} did not relay the answer of camera node {lookin.node_id}") from exc
        finally:
            self._waiting.pop(offer.lookin_id, None)
        if reply.busy is not None:
            raise NodeBusyError(reply.busy)
        if reply.reply is None:
            raise NodeUnavailableError(reply.unavailable or f"camera node {lookin.node_id} did not answer")
        return reply.reply

    async def forward_close(self, owner: str, lookin_id: str, why: str) -> bool:
        """Ask the owning instance to end a look-in; whether it was listening."""
        message = RelayedClose(close=Close(lookin_id=lookin_id, why=why))
        return bool(await self._redis.publish(self.channel(owner), message.model_dump_json()))

    # --- listening ------------------------------------------------------------------------------------------

    def start(self, relay_here: RelayHere, close_here: CloseHere) -> None:
        self._task = asyncio.create_task(self._listen(relay_here, close_here), name="look-in relay")

    async def stop(self) -> None:
        # The loops test `_stopping` as well: redis-py can swallow a cancellation that lands in a read.
        self._stopping = True
        for task in [self._task, *self._handling]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _listen(self, relay_here: RelayHere, close_here: CloseHere) -> None:
        retry = Backoff(0.5, 10.0)
        while not self._stopping:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel(self.instance))
                    self.listening.set()
                    retry.reset()
                    while not self._stopping:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None:
                            self._dispatch(str(message["data"]), relay_here, close_here)
            except (RedisError, OSError) as exc:
                self.listening.clear()
                if self._stopping:
                    return
                delay = retry.next()
                log.warning("look-in relay lost Redis (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    def _dispatch(self, raw: str, relay_here: RelayHere, close_here: CloseHere) -> None:
        try:
            message = RELAYED.validate_json(raw)
        except ValidationError as exc:
            log.error("unreadable look-in relay message (%s): %.120s", exc.errors()[0]["msg"], raw)
            return
        if isinstance(message, RelayedReply):
            future = self._waiting.get(message.lookin_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        work = self._answer(message, relay_here) if isinstance(message, RelayedOffer) else \
            self._close(message, close_here)
        task = asyncio.get_running_loop().create_task(work)
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _answer(self, message: RelayedOffer, relay_here: RelayHere) -> None:
        reply = RelayedReply(lookin_id=message.offer.lookin_id)
        try:
            reply.reply = await relay_here(message.lookin, message.offer)
        except NodeBusyError as exc:
            reply.busy = str(exc)
        except NodeUnavailableError as exc:
            reply.unavailable = str(exc)
        try:
            await self._redis.publish(self.channel(message.reply_to), reply.model_dump_json())
        except RedisError as exc:  # the asking instance times out and says the node did not answer
            log.warning("could not send look-in %s's reply to %s: %s", reply.lookin_id, message.reply_to, exc)

    async def _close(self, message: RelayedClose, close_here: CloseHere) -> None:
        await close_here(message.close.lookin_id, message.close.why)
