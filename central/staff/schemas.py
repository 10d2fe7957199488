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
    active: bool = True


class StaffEdit(BaseModel):
    """Fields to change; those left out stay."""

    role: Role | None = None
    display_name: str | None = Field(None, max_length=128)
    active: bool | None = None


class PasswordOut(BaseModel):
    username: str
    password: str
    """Shown once: give it to the member. Only its hash is stored."""
