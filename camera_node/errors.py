"""Errors of the camera node.

CameraNodeError
├── CaptureError (re-exported by camera_node.capture): a camera source could not be opened or read; its `cause`
│   is a short code (unauthorized, not_found, stalled, ...) for the `camera_fault` event and the health output.
├── SpoolError (camera_node.spool): the event spool cannot be opened or written.
└── BadOfferError (camera_node.lookin_session, also a ValueError): a look-in offer's SDP could not be used.

Errors of the models and filters the node runs are `privacy.errors.PrivacyError`.
"""

from __future__ import annotations


class CameraNodeError(Exception):
    """Root of every error the camera node raises on purpose."""


class CaptureError(CameraNodeError):
    """A source could not be opened or read; `cause` says why in a word that events and metrics can carry."""

    def __init__(self, message: str, *, cause: str = "unavailable") -> None:
        super().__init__(message)
        self.cause = cause
