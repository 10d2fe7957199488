"""Errors of the privacy package.

PrivacyError
├── FaceModelError: the face model could not be read, loaded or run.
├── PoseModelError: the pose (perception) model could not be read, loaded or run.
└── DetectorError (privacy.detector.base): the box detector could not be loaded or run.
"""

from __future__ import annotations


class PrivacyError(Exception):
    """Root of every error the privacy package raises on purpose."""


class FaceModelError(PrivacyError):
    """The face model could not be read, loaded or run."""


class PoseModelError(PrivacyError):
    """The pose model could not be read, loaded or run; perception is unavailable, the private tier still works."""
