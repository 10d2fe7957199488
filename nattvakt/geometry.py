"""Pure geometry for zones and boxes, in fractions (0-1) of the view so zones survive a resolution change.

No shapely: zones have a handful of corners, and the few checks needed (simple polygon, point inside,
share of a box inside) are a few lines each.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]
Polygon = tuple[Point, ...]
Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 as fractions of the view's width and height."""

_EPS = 1e-9
MIN_AREA = 1e-4
"""A zone smaller than 0.01 % of the view (about 5x6 px at 640x480) is empty: a typo, not a bed."""


def polygon_area(polygon: Sequence[Point]) -> float:
    """Unsigned area by the shoelace formula."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) - _EPS <= p[0] <= max(a[0], b[0]) + _EPS and (
        min(a[1], b[1]) - _EPS <= p[1] <= max(a[1], b[1]) + _EPS
    )


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when closed segments ab and cd share a point (touching and collinear overlap included)."""
    o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > _EPS and o2 < -_EPS) or (o1 < -_EPS and o2 > _EPS)) and (
        (o3 > _EPS and o4 < -_EPS) or (o3 < -_EPS and o4 > _EPS)
    ):
        return True
    return (
        (abs(o1) <= _EPS and _on_segment(a, b, c))
        or (abs(o2) <= _EPS and _on_segment(a, b, d))
        or (abs(o3) <= _EPS and _on_segment(c, d, a))
        or (abs(o4) <= _EPS and _on_segment(c, d, b))
    )


def is_self_intersecting(polygon: Sequence[Point]) -> bool:
    """True when two non-adjacent edges meet (a bow-tie), or adjacent edges fold back over each other."""
    n = len(polygon)
    edges = [(polygon[i], polygon[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            adjacent = j == i + 1 or (i == 0 and j == n - 1)
            a, b = edges[i]
            c, d = edges[j]
            if adjacent:
                # Adjacent edges share one corner; they intersect wrongly only when they fold back (collinear overlap).
                shared = b if j == i + 1 else a
                far_i = a if shared == b else b
                far_j = d if shared == c else c
                if abs(_orientation(shared, far_i, far_j)) <= _EPS and (
                    (far_i[0] - shared[0]) * (far_j[0] - shared[0]) + (far_i[1] - shared[1]) * (far_j[1] - shared[1])
                    > 0
                ):
                    return True
                continue
            if segments_intersect(a, b, c, d):
                return True
    return False


def polygon_problem(polygon: Sequence[Sequence[float]]) -> str | None:
    """Why this polygon cannot be a zone (empty, out of the frame, self-intersecting), or None when it can."""
    if len(polygon) < 3:
        return f"is empty: a zone needs at least 3 corners, got {len(polygon)}"
    if any(len(point) != 2 for point in polygon):
        return "has a corner that is not an [x, y] pair"
    points = [(float(x), float(y)) for x, y in polygon]
    outside = [p for p in points if not (0.0 <= p[0] <= 1.0 and 0.0 <= p[1] <= 1.0)]
    if outside:
        corner = list(outside[0])
        return f"is out of the frame: corner {corner} is not within 0-1 (fractions of the view's width, height)"
    if len(set(points)) != len(points):
        return "repeats a corner"
    if all(abs(_orientation(points[0], points[1], p)) <= _EPS for p in points[2:]):
        return "is empty: its corners lie on one line"
    if is_self_intersecting(points):
        return "is self-intersecting: its edges cross; list the corners in order around the zone"
    if polygon_area(points) < MIN_AREA:
        return f"is empty: its area is {polygon_area(points):.2g} of the view, less than {MIN_AREA:g}"
    return None


def contains(polygon: Sequence[Point], x: float, y: float) -> bool:
    """Point in polygon by ray casting (points on an edge may go either way; zones are not that exact)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def share_inside(polygon: Sequence[Point], box: Box, samples: int = 5) -> float:
    """Share of a box inside a polygon, from a samples x samples grid of points (cheap, good to 1/samples²)."""
    x1, y1, x2, y2 = box
    hits = 0
    for i in range(samples):
        for j in range(samples):
            if contains(polygon, x1 + (x2 - x1) * (i + 0.5) / samples, y1 + (y2 - y1) * (j + 0.5) / samples):
                hits += 1
    return hits / (samples * samples)


def iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def union(boxes: Sequence[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def grow(box: Box, by: float) -> Box:
    """The box widened by `by` of its own size on every side."""
    dx, dy = (box[2] - box[0]) * by, (box[3] - box[1]) * by
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def overlaps(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])
