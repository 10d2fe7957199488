"""Care rules: zones, a light person tracker, and hysteresis state machines that turn detections into events.

Deliberately imports nothing: `nattvakt.settings` validates zones with `camera_node.rules.geometry`, and an
import here of anything that reads settings would make that a cycle. Import the submodules directly:
`geometry` (pure polygon checks), `tracker`, `posture`, `hysteresis`, `room` (the rules), `stage` (the
pipeline's detection stage, with its `detector_fault` fallback).
"""
