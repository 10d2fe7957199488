"""Rooms and camera nodes: node tokens, zones, the control channel and the offline alarm."""
