"""A light IoU tracker over perceived people that carries a person through frames without a detection.

Perception finds a sitting, lying or falling person in only a fraction of the looks (MODELS.md), so a track does
not die when it misses: it holds still — a person does not vanish without moving — and motion near it only says
the person is alive (motion never reshapes a box: the background model's trace of where someone stood once turned
a lying person's box tall and kept a ghost alive). A track ends only when it was last seen at an exit (a door
zone or the edge of the view) and has stayed gone there, or after a long time without any sign.

Association is ByteTrack's: sure detections first (overlap, or for a fall the centre of the new box near the old),
then weak ones, by overlap only, to the tracks left over — so a weak box of something beside a falling person
cannot take their track. A track starts from `confirm_hits` detections of which one is sure, or from `weak_hits`
weak ones spread over `weak_span_s` (a person first seen lying or sitting scores 0.25-0.45 and must still become a
track) — boxes without keypoints count there only once something moved inside the box: an office chair scored 0.38
as a box all clip long). A box that jumped gives no speed, and speed carries a box only `predict_s` past its last
detection.

Boxes are fractions (0-1) of the view, like zones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from nattvakt.geometry import Box, Polygon, contains, grow, iou, overlaps
from privacy.observations import Keypoint, PersonObservation

Source = Literal["detector", "motion", "held"]


PersonBox = PersonObservation
"""One perceived person, in fractions of the view; keypoints when the pose model saw them (perception's own type)."""


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    start_score: float = 0.5
    """A detection must score this to start a track."""
    keep_score: float = 0.25
    """A weaker detection may still update an existing track."""
    confirm_hits: int = 3
    """Detections a new track needs before it counts as a person."""
    confirm_window_s: float = 3.0
    """...within this many seconds of its first detection (weak starts: `weak_window_s`), or it is dropped."""
    weak_hits: int = 6
    weak_span_s: float = 1.5
    """Weak detections (≥ `keep_score`) a new track needs, spread over at least `weak_span_s`, to count as a person."""
    weak_window_s: float = 6.0
    tentative_gap_s: float = 2.0
    """A track not yet confirmed is dropped after this long without a detection."""
    match_iou: float = 0.1
    """Least overlap for a detection to continue a track (a fall changes the box a lot; see also `_matches`)."""
    exit_gone_s: float = 5.0
    """A track last seen at an exit and without any sign for this long has left."""
    stale_s: float = 60.0
    """A track unseen this long while another is being detected is dropped (see `_superseded`)."""
    forget_s: float = 12 * 3600.0
    """A track with no detection and no motion for this long is dropped silently. Long on purpose: someone asleep
    under a blanket or lying on the floor may give no sign for hours, and dropping them would read as a bed exit or
    end an `on_floor`; ghosts go sooner when someone else is seen (`stale_s`)."""
    edge: float = 0.02
    """A box this close to the border of the view is at its edge (an exit when no door zone is drawn)."""
    part_hold_s: float = 1.0
    part_hold_weaker: float = 0.75
    """A detection inside a track's box and less than half its size is a part (a lying person's torso): the track
    keeps its box for up to `part_hold_s`, unless the part scores above the box's score / `part_hold_weaker`."""
    flip_iou: float = 0.3
    flip_aspect: float = 0.6
    """A weak detection (below `start_score`) whose box is much taller for its width than the track's (aspect below
    `flip_aspect` of it) continues the track only if it overlaps it by `flip_iou`: next to a person lying on the
    floor, a chair or a bedpost scored as a weak person must not take the lying person's track; a person getting
    up is seen surely, or in the same place."""
    own_iou: float = 0.5
    """A detection overlapping another track this much never continues a track it does not overlap."""
    lost_s: float = 1.5
    """A confirmed track unseen this long may be taken by a weak detection near it (not only one overlapping it)."""
    predict_s: float = 1.0
    """For this long after a detection, a track without one moves on at its last speed."""
    history_s: float = 10.0
    """How much of a track's past boxes is kept, for stillness."""


@dataclass(slots=True)
class Track:
    id: int
    box: Box
    score: float
    first_seen: float
    last_detected: float
    last_moved: float
    hits: int = 1
    strong_hits: int = 0
    pose_hits: int = 0
    """Detections with a pose (keypoints)."""
    stirred: bool = False
    """Motion was seen inside the box since the track began (a chair never stirs; a fallen person did)."""
    confirmed: bool = False
    shaped_at: float = 0.0
    """When a detection last set the box's shape."""
    seen_box: Box | None = None
    """The box when the person was last detected (exits are judged on it, not on a prediction)."""
    velocity: tuple[float, float] = (0.0, 0.0)
    """Smoothed speed of the box centre (view fractions per second) between detections."""
    source: Source = "detector"
    """Where this frame's box came from."""
    history: deque[tuple[float, Box]] = field(default_factory=deque)
    keypoints: tuple[Keypoint, ...] = ()
    """The pose of the last detection that had one (empty when only boxes were seen)."""

    @property
    def last_sign(self) -> float:
        return max(self.last_detected, self.last_moved)

    @property
    def aspect(self) -> float:
        """Width / height in view fractions; callers scale by the frame's aspect to compare with pixels."""
        return _aspect(self.box)


@dataclass(frozen=True, slots=True)
class TrackerUpdate:
    tracks: tuple[Track, ...]
    """Confirmed tracks after this frame."""
    confirmed: tuple[Track, ...]
    """Tracks that became confirmed on this frame."""
    left: tuple[Track, ...]
    """Confirmed tracks that left through an exit on this frame."""


class PersonTracker:
    """Per-camera tracker; `update` once per processed frame."""

    def __init__(self, config: TrackerConfig | None = None, exits: Sequence[Polygon] = ()) -> None:
        self.config = config or TrackerConfig()
        self.exits = tuple(exits)
        self._tracks: list[Track] = []
        self._next_id = 1

    @property
    def tracks(self) -> tuple[Track, ...]:
        return tuple(t for t in self._tracks if t.confirmed)

    @property
    def all_tracks(self) -> tuple[Track, ...]:
        """Confirmed and tentative tracks (a tentative one wants perception to look again soon)."""
        return tuple(self._tracks)

    def update(self, now: float, detections: Sequence[PersonBox] | None, motion: Sequence[Box]) -> TrackerUpdate:
        """Feed one frame: `detections` None when the detector did not run on it; `motion` regions in fractions."""
        cfg = self.config
        matched: set[int] = set()
        newly: list[Track] = []
        if detections is not None:
            usable = merge_parts([d for d in detections if d.score >= cfg.keep_score])
            pairs = self._match(usable, now)
            for track, detection in pairs:
                matched.add(track.id)
                # A part seen alone (a torso) keeps the whole's recent box, unless the part is much surer.
                if not (
                    _part_of(detection.box, track.box)
                    and now - track.shaped_at <= cfg.part_hold_s
                    and detection.score * cfg.part_hold_weaker < track.score
                ):
                    track.velocity = _velocity(track, detection.box, now, detection.score >= cfg.start_score)
                    track.box, track.score, track.shaped_at = detection.box, detection.score, now
                    track.keypoints = detection.keypoints or track.keypoints
                track.last_detected, track.source, track.seen_box = now, "detector", track.box
                track.hits += 1
                track.strong_hits += detection.score >= cfg.start_score
                track.pose_hits += bool(detection.keypoints)
                if not track.confirmed and self._confirms(track, now):
                    track.confirmed = True
                    newly.append(track)
            taken = {id(d) for _, d in pairs}
            for detection in usable:
                if id(detection) in taken or any(iou(t.box, detection.box) >= 0.3 for t in self._tracks):
                    continue  # an unmatched second box on a tracked person is not a second person
                self._tracks.append(Track(
                    self._next_id, detection.box, detection.score, now, now, now, shaped_at=now,
                    strong_hits=int(detection.score >= cfg.start_score), pose_hits=int(bool(detection.keypoints)),
                    keypoints=detection.keypoints,
                ))
                self._next_id += 1
        for track in self._tracks:
            track.stirred = track.stirred or any(overlaps(region, track.box) for region in motion)
            if track.id in matched or track.first_seen == now:
                continue
            self._predict(track, now)
            self._follow_motion(track, motion, now)
        for track in self._tracks:
            track.history.append((now, track.box))
            while track.history and track.history[0][0] < now - cfg.history_s:
                track.history.popleft()
        left = self._prune(now)
        return TrackerUpdate(self.tracks, tuple(newly), tuple(left))

    def _confirms(self, track: Track, now: float) -> bool:
        cfg = self.config
        weak = track.pose_hits if not track.stirred else track.hits
        return (track.strong_hits >= 1 and track.hits >= cfg.confirm_hits) or (
            weak >= cfg.weak_hits and now - track.first_seen >= cfg.weak_span_s
        )

    def _match(self, detections: Sequence[PersonBox], now: float) -> list[tuple[Track, PersonBox]]:
        """Sure detections first, then weak ones (by overlap only) to the tracks still free: ByteTrack's two passes."""
        sure = [d for d in detections if d.score >= self.config.start_score]
        weak = [d for d in detections if d.score < self.config.start_score]
        pairs = self._match_pass(self._tracks, sure, now, centre=True)
        taken = {t.id for t, _ in pairs}
        return pairs + self._match_pass([t for t in self._tracks if t.id not in taken], weak, now, centre=False)

    def _match_pass(
        self, tracks: Sequence[Track], detections: Sequence[PersonBox], now: float, *, centre: bool
    ) -> list[tuple[Track, PersonBox]]:
        """Greedy one-to-one matching: confirmed tracks first, then by overlap plus detection score."""
        cfg = self.config
        candidates = []
        for track in tracks:
            for detection in detections:
                if iou(track.box, detection.box) < cfg.match_iou and self._sits_on_other(track, detection.box):
                    continue
                unseen = now - track.last_detected
                # A weak box may take a track by nearness only once the track has been lost for a while: then it is
                # the person who moved unseen (rolled off the bed), not an object beside someone seen a moment ago.
                near = centre or (track.confirmed and unseen >= cfg.lost_s)
                affinity = _affinity(track.box, detection.box, unseen) if near else iou(track.box, detection.box)
                if affinity < cfg.match_iou or (
                    detection.score < cfg.start_score
                    and _aspect(detection.box) < cfg.flip_aspect * track.aspect
                    and iou(track.box, detection.box) < cfg.flip_iou
                ):
                    continue
                candidates.append((track.confirmed, affinity, detection.score, track, detection))
        # Overlap and score both count: a falling person may yield a weak whole box and a slightly surer part.
        candidates.sort(key=lambda c: (c[0], c[1] + c[2]), reverse=True)
        used_tracks: set[int] = set()
        used_detections: set[int] = set()
        pairs = []
        for _, _, _, track, detection in candidates:
            if track.id in used_tracks or id(detection) in used_detections:
                continue
            used_tracks.add(track.id)
            used_detections.add(id(detection))
            pairs.append((track, detection))
        return pairs

    def _sits_on_other(self, track: Track, box: Box) -> bool:
        """A box lying on another track is that one's, however near a lost track reaches: on a night clip a lying
        person unseen for 4 s took the box of a coat by the wall (its own track), and the fall was lost."""
        return any(other is not track and iou(other.box, box) >= self.config.own_iou for other in self._tracks)

    def _predict(self, track: Track, now: float) -> None:
        """Between detections a walking person keeps walking: shift the box at its last speed, briefly."""
        if not track.history or now - track.last_detected > self.config.predict_s:
            return
        dt = now - track.history[-1][0]
        x1, y1, x2, y2 = track.box
        # Never past the border of the view: someone walking out is judged where last seen.
        dx = min(max(track.velocity[0] * dt, -x1), 1.0 - x2)
        dy = min(max(track.velocity[1] * dt, -y1), 1.0 - y2)
        track.box = (x1 + dx, y1 + dy, x2 + dx, y2 + dy)

    def _follow_motion(self, track: Track, motion: Sequence[Box], now: float) -> None:
        """Without a detection, motion touching a track is a sign of life; it does not move or reshape the box."""
        near = grow(track.box, 0.25)
        if any(overlaps(region, near) for region in motion):
            track.last_moved, track.source = now, "motion"
        else:
            track.source = "held"

    def _prune(self, now: float) -> list[Track]:
        cfg = self.config
        kept: list[Track] = []
        left: list[Track] = []
        for track in self._tracks:
            if not track.confirmed:
                window = cfg.confirm_window_s if track.strong_hits else cfg.weak_window_s
                if now - track.first_seen <= window and now - track.last_detected <= cfg.tentative_gap_s:
                    kept.append(track)
                continue
            quiet = now - track.last_sign
            if quiet >= cfg.exit_gone_s and self.at_exit(track.seen_box or track.box):
                left.append(track)
            elif quiet < cfg.forget_s and not self._superseded(track, now):
                kept.append(track)
        # Two confirmed tracks on one person (a detection that briefly split): keep the older.
        survivors: list[Track] = []
        for track in sorted(kept, key=lambda t: t.first_seen):
            if track.confirmed and any(s.confirmed and iou(s.box, track.box) > 0.6 for s in survivors):
                continue
            survivors.append(track)
        self._tracks = survivors
        return left

    def _superseded(self, track: Track, now: float) -> bool:
        """Unseen for `stale_s` while the detector keeps seeing someone else: the person is in that other track
        (a box that jumped too far to match), so this one is a ghost that would count a second person."""
        if now - track.last_detected < self.config.stale_s:
            return False
        return any(other is not track and other.confirmed and now - other.last_detected <= 1.0
                   for other in self._tracks)

    def at_exit(self, box: Box) -> bool:
        """At a door zone or the edge of the view: where a person can leave."""
        edge = self.config.edge
        if box[0] <= edge or box[2] >= 1 - edge or box[1] <= edge:
            return True
        cx = (box[0] + box[2]) / 2
        return any(contains(zone, cx, box[3]) or contains(zone, cx, (box[1] + box[3]) / 2) for zone in self.exits)


def merge_parts(detections: Sequence[PersonBox], contained: float = 0.7, weaker: float = 0.75) -> list[PersonBox]:
    """Fold a box lying mostly inside another (a torso or legs of a lying person, found separately) into it.

    NMS keeps such parts because their IoU with the whole is small; for posture the whole is what counts. A
    "whole" much less sure than its part (below `weaker` of its score) is a stray box around it and is dropped.
    """
    merged: list[PersonBox] = []
    for detection in sorted(detections, key=lambda d: -_area(d.box)):
        for index, whole in enumerate(merged):
            if _intersection(whole.box, detection.box) >= contained * _area(detection.box):
                if whole.score >= weaker * detection.score:
                    merged[index] = PersonBox(whole.box, max(whole.score, detection.score))
                else:
                    merged[index] = detection
                break
        else:
            merged.append(detection)
    return merged


def _velocity(track: Track, box: Box, now: float, sure: bool, smoothing: float = 0.5) -> tuple[float, float]:
    """Only from a sure detection of a box that kept its shape and moved like a walker: a box that changed shape
    (sitting down, falling) is not walking, and one that jumped further than a body's width in a step (to another
    object) is not a speed to carry on at."""
    dt = now - track.shaped_at
    old = track.box
    if not sure or not 0 < dt <= 1.5 or abs(track.aspect - _aspect(box)) > 0.25 * track.aspect:
        return (0.0, 0.0)
    vx = ((box[0] + box[2]) - (old[0] + old[2])) / 2 / dt
    vy = ((box[1] + box[3]) - (old[1] + old[3])) / 2 / dt
    stride = max(old[2] - old[0], old[3] - old[1]) / 2  # half the body's longer side per half second
    if abs(vx) * min(dt, 0.5) > stride or abs(vy) * min(dt, 0.5) > stride:
        return (0.0, 0.0)
    return (smoothing * track.velocity[0] + (1 - smoothing) * vx, smoothing * track.velocity[1] + (1 - smoothing) * vy)


def _part_of(part: Box, whole: Box) -> bool:
    return _area(part) < 0.5 * _area(whole) and _intersection(part, whole) >= 0.7 * _area(part)


def _intersection(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _aspect(box: Box) -> float:
    return (box[2] - box[0]) / max(1e-6, box[3] - box[1])


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _affinity(track: Box, detection: Box, unseen_s: float) -> float:
    """IoU, or, when a fall turned a standing box into a lying one or a walker moved on between looks, a fixed 0.1
    if the new box's centre lies within the old box grown by a third, plus half a box per second unseen."""
    overlap = iou(track, detection)
    reach = 1 / 3 + 0.5 * min(max(unseen_s, 0.0), 2.0)
    if overlap > 0:
        return overlap if overlap >= 0.1 else max(overlap, _centre_affinity(track, detection, reach))
    return _centre_affinity(track, detection, reach)


def _centre_affinity(track: Box, detection: Box, reach: float) -> float:
    x1, y1, x2, y2 = grow(track, reach)
    cx, cy = (detection[0] + detection[2]) / 2, (detection[1] + detection[3]) / 2
    return 0.1 if x1 <= cx <= x2 and y1 <= cy <= y2 else 0.0
