"""Request and response bodies of login and of staff administration."""

from __future__ import annotations

from pydantic import BaseModel, Field

from central.staff.service import Role


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str


class StaffIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    display_name: str = Field("", max_length=128)


class StaffEntry(BaseModel):
    username: str
    display_name: str
    role: str
