"""A room's zones as the rules use them, built from the (already validated) zone settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nattvakt.geometry import Box, Polygon, contains, share_inside
from nattvakt.settings import ZoneSettings


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    kind: str
    polygon: Polygon


@dataclass(frozen=True, slots=True)
class RoomZones:
    zones: tuple[Zone, ...] = ()

    @classmethod
    def from_settings(cls, zones: Sequence[ZoneSettings]) -> RoomZones:
        return cls(tuple(Zone(z.name, z.kind, tuple(z.polygon)) for z in zones))

    def of_kind(self, kind: str) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.kind == kind)

    @property
    def has_bed(self) -> bool:
        return bool(self.of_kind("bed"))

    def bed_holding(self, box: Box, share: float) -> Zone | None:
        """The bed zone a person is in: where they rest — just above the bottom of their box — is on the bed,
        and at least `share` of the box is inside it. Standing in front of the bed, the feet are on the floor
        in front of it (seen from the camera, the body overlaps the bed, but the feet do not)."""
        cx, rest = (box[0] + box[2]) / 2, box[3] - 0.1 * (box[3] - box[1])
        for zone in self.of_kind("bed"):
            if contains(zone.polygon, cx, rest) and share_inside(zone.polygon, box) >= share:
                return zone
        return None

    def floor_under(self, box: Box) -> Zone | None:
        """The floor zone under a box's bottom centre; with no floor zone drawn, the whole view is floor."""
        floors = self.of_kind("floor")
        if not floors:
            return Zone("floor", "floor", ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
        cx, bottom = (box[0] + box[2]) / 2, min(box[3], 0.999)
        return next((zone for zone in floors if contains(zone.polygon, cx, bottom)), None)
