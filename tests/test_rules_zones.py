"""Zone polygons: pure geometry checks, and their use at config load (the error names the zone)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from nattvakt.geometry import contains, is_self_intersecting, polygon_problem, share_inside
from nattvakt.settings import NodeSettings, SettingsError, ZoneSettings, load_settings

SQUARE = ((0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6))


def test_a_plain_polygon_is_accepted() -> None:
    assert polygon_problem(SQUARE) is None
    assert polygon_problem(((0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0))) is None  # edges on the border are in


@pytest.mark.parametrize(
    ("polygon", "words"),
    [
        ((), "empty"),
        (((0.1, 0.1), (0.5, 0.5)), "empty"),
        (((0.1, 0.1), (0.3, 0.3), (0.5, 0.5)), "empty"),  # three corners on one line: no area
        (((0.1, 0.1), (0.1, 0.1), (0.4, 0.2), (0.2, 0.5)), "repeats a corner"),
        (((0.1, 0.1), (1.2, 0.1), (0.5, 0.5)), "out of the frame"),
        (((-0.01, 0.1), (0.5, 0.1), (0.5, 0.5)), "out of the frame"),
        (((0.2, 0.2), (0.6, 0.6), (0.6, 0.2), (0.2, 0.6)), "self-intersecting"),  # a bow-tie
        (((0.2, 0.2), (0.8, 0.2), (0.5, 0.2), (0.5, 0.6)), "self-intersecting"),  # an edge folding back on itself
    ],
)
def test_unusable_polygons_say_why(polygon: tuple[tuple[float, float], ...], words: str) -> None:
    problem = polygon_problem(polygon)
    assert problem is not None and words in problem


def test_settings_reject_a_bad_zone_naming_it() -> None:
    with pytest.raises(ValidationError, match="zone 'säng' is self-intersecting"):
        NodeSettings.model_validate(
            {"zones": [{"name": "säng", "kind": "bed", "polygon": [[0.2, 0.2], [0.6, 0.6], [0.6, 0.2], [0.2, 0.6]]}]}
        )
    with pytest.raises(ValidationError, match="zone 'golv' is out of the frame"):
        ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.7), (1.5, 0.7), (1.0, 1.0)))
    with pytest.raises(ValidationError, match="zone 'dörr' is empty"):
        ZoneSettings(name="dörr", kind="door", polygon=())
    with pytest.raises(ValidationError, match="unique"):
        NodeSettings(zones=(ZoneSettings(name="a", kind="bed", polygon=SQUARE),
                            ZoneSettings(name="a", kind="floor", polygon=SQUARE)))


def test_environment_zones_load_or_fail_with_the_zone_name(monkeypatch: pytest.MonkeyPatch) -> None:
    good = [{"name": "säng", "kind": "bed", "polygon": [list(p) for p in SQUARE]}]
    monkeypatch.setenv("NATTVAKT_NODE__ZONES", json.dumps(good))
    zones = load_settings().node.zones
    assert [(z.name, z.kind, z.polygon) for z in zones] == [("säng", "bed", SQUARE)]
    bad = [{"name": "fönster", "kind": "chair", "polygon": [[0.1, 0.1], [0.2, 2.0], [0.3, 0.1]]}]
    monkeypatch.setenv("NATTVAKT_NODE__ZONES", json.dumps(bad))
    with pytest.raises(SettingsError, match=r"NATTVAKT_NODE__ZONES.*zone 'fönster' is out of the frame"):
        load_settings()


def _convex(centre: tuple[float, float], radius: float, angles: list[float]) -> list[tuple[float, float]]:
    return [(centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a)) for a in sorted(angles)]


@given(
    cx=st.floats(0.3, 0.7), cy=st.floats(0.3, 0.7), radius=st.floats(0.05, 0.25),
    angles=st.lists(st.floats(0, 2 * math.pi, exclude_max=True), min_size=3, max_size=10, unique=True),
)
def test_any_convex_polygon_inside_the_view_is_accepted_and_holds_its_centre(
    cx: float, cy: float, radius: float, angles: list[float]
) -> None:
    spread = sorted(angles)
    gaps = [b - a for a, b in zip(spread, [*spread[1:], spread[0] + 2 * math.pi], strict=True)]
    if max(gaps) > math.pi * 0.9 or min(gaps) < 0.05:
        return  # the centre is not inside, or two corners nearly coincide: not the property under test
    polygon = _convex((cx, cy), radius, angles)
    assert polygon_problem(polygon) is None
    assert contains(polygon, cx, cy)


@given(x1=st.floats(0, 0.4), y1=st.floats(0, 0.4), w=st.floats(0.1, 0.5), h=st.floats(0.1, 0.5))
def test_a_rectangle_with_two_corners_swapped_is_a_bow_tie(x1: float, y1: float, w: float, h: float) -> None:
    x2, y2 = x1 + w, y1 + h
    assert not is_self_intersecting([(x1, y1), (x2, y1), (x2, y2), (x1, y2)])
    assert is_self_intersecting([(x1, y1), (x2, y2), (x2, y1), (x1, y2)])
    assert polygon_problem([(x1, y1), (x2, y1), (x2, y2), (x1, y2)]) is None


@given(bad=st.floats(1.0001, 10) | st.floats(-10, -0.0001), which=st.integers(0, 5))
def test_any_corner_outside_the_view_is_rejected(bad: float, which: int) -> None:
    polygon = [list(p) for p in SQUARE]
    polygon[which % 4][which // 4 % 2] = bad
    problem = polygon_problem(polygon)
    assert problem is not None and "out of the frame" in problem


def test_share_inside_of_a_box() -> None:
    assert share_inside(SQUARE, (0.2, 0.2, 0.6, 0.6)) == 1.0
    assert share_inside(SQUARE, (0.7, 0.7, 0.9, 0.9)) == 0.0
    assert 0.4 <= share_inside(SQUARE, (0.4, 0.2, 0.8, 0.6)) <= 0.6
