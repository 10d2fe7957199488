"""API request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from nattvakt.events import Event


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str


class FeedEntry(BaseModel):
    event: Event
    acknowledged_by: str | None = None
