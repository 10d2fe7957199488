"""Care rules: zones, a light person tracker, and hysteresis state machines that turn detections into events.

Deliberately imports nothing. Import the submodules directly (the pure polygon checks are `nattvakt.geometry`):
`tracker`, `posture`, `hysteresis`, `room` (the rules), `stage` (the
pipeline's detection stage, with its `detector_fault` fallback).
"""
