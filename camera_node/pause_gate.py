"""While the room's consent is paused or withdrawn, the node publishes no detection events for it.

The recipient's page promises that nothing is detected during a pause (and after a withdrawal), so the node keeps
that promise at the one place every event leaves the pipeline. Events about the device itself (`DEVICE_KINDS`: a
covered or failed camera, failed perception) still go, and so do heartbeats (sent apart from the pipeline): a broken
camera needs a visit whatever the consent says. An ending of a situation already published before the pause also
goes, so no console keeps showing it as ongoing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from nattvakt.events import Event, utc_now
from nattvakt.types import Action
from privacy.consent_policy import Decision

log = logging.getLogger(__name__)

DEVICE_KINDS = frozenset({"camera_fault", "detector_fault"})
"""Event kinds about the device, not the person: published during a pause too."""
HOLDING_CODES = frozenset({"paused", "withdrawn"})
"""The consent policy's codes for detection that hold events back: a pause, and consent withdrawn."""
REMEMBERED = 1000
"""Open situations remembered for their ending; single-shot events never end, so the oldest are forgotten."""


class PauseGate:
    """Passes each pipeline event on to `submit` unless a pause or a withdrawal in the node's own consent copy holds
    it back."""

    def __init__(self, decide: Callable[[datetime, Action], Decision], submit: Callable[[Event], None], node: str,
                 *, clock: Callable[[], datetime] = utc_now) -> None:
        self._decide = decide
        self._submit = submit
        self._node = node
        self._clock = clock
        self._published: dict[str, None] = {}
        """Ids of open situations published, whose ending may go out during a pause."""
        self.held_back = 0
        """Detection events not published because of a pause or a withdrawal."""

    def __call__(self, event: Event) -> None:
        ending_shown = event.state == "ended" and event.id in self._published
        if event.kind in DEVICE_KINDS or ending_shown or not self._held():
            self._pass(event)
        else:
            self.held_back += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s: %s event held back: consent paused or withdrawn", self._node, event.kind)

    def _held(self) -> bool:
        return self._decide(self._clock(), Action.DETECTION).code in HOLDING_CODES

    def _pass(self, event: Event) -> None:
        if event.state == "ended":
            self._published.pop(event.id, None)
        else:
            self._published[event.id] = None
            if len(self._published) > REMEMBERED:
                del self._published[next(iter(self._published))]
        self._submit(event)
