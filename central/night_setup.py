"""Wires the night's work into the app: tonight, outcomes, schedules, reports, rooms and nodes, staff admin."""

from __future__ import annotations

from fastapi import APIRouter

from central.routers import followup, reports, rooms, schedules, staff_admin, tonight


def night_routers() -> list[APIRouter]:
    return [tonight.router, schedules.router, reports.router, rooms.router, staff_admin.router, followup.router]
