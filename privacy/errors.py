"""Errors of the privacy package.

PrivacyError
└── FaceModelError: the face model could not be read, loaded or run.
"""

from __future__ import annotations


class PrivacyError(Exception):
    """Root of every error the privacy package raises on purpose."""


class FaceModelError(PrivacyError):
    """The face model could not be read, loaded or run."""
