"""Errors of the camera node.

CameraNodeError
├── CaptureError (camera_node.capture): a camera source could not be opened or read.
├── SpoolError (camera_node.spool): the event spool cannot be opened or written.
└── BadOfferError (camera_node.lookin_session, also a ValueError): a look-in offer's SDP could not be used.

Errors of the models and filters the node runs are `privacy.errors.PrivacyError`.
"""

from __future__ import annotations


class CameraNodeError(Exception):
    """Root of every error the camera node raises on purpose."""
