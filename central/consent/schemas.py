"""Request and response bodies of the consent, recipient and pause API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from privacy.consent_model import Consent


class RecipientIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    room: str = Field("", max_length=64)


class RecipientEdit(BaseModel):
    """Fields to change; those left out stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=128)
    room: str | None = Field(None, max_length=64)
    active: bool | None = None
    """False deactivates (moved out): kept for the record, off tonight's list; true brings them back."""


class RecipientOut(BaseModel):
    id: int
    name: str
    room: str
    nodes: list[str]
    has_access_code: bool
    active: bool = True


class NodeAssignment(BaseModel):
    recipient_id: int | None = Field(None, ge=1)
    """The recipient whose room the node watches; null to unassign."""


class NodeOut(BaseModel):
    node_id: str
    recipient_id: int | None
    copy_version: int
    delivered: bool
    """Whether the new signed copy reached the transport now (else it is retried)."""


class AccessCodeOut(BaseModel):
    code: str
    """Shown once: give it to the recipient or a relative. Only its hash is stored."""
    link: str
    """Path of the recipient's own page."""


class ConsentChange(BaseModel):
    consent: Consent
    nodes_not_reached: list[str]
    """Nodes whose copy could not be delivered now; central keeps retrying, and enforces the change itself."""


class WithdrawIn(BaseModel):
    withdrawn_by: str = Field(min_length=1, max_length=128)
    """Who withdrew consent (the recipient, a co-resident or a legal representative), in their words."""


class PauseIn(BaseModel):
    on_behalf_of: str = Field(min_length=1, max_length=128)
    """The recipient or relative who asked staff to pause."""
