"""Screens for the people who set up care: recipients with their consent (nurse_admin), rooms, cameras and the zones
drawn on each camera's view (ops). Server-rendered Jinja2 pages over the existing API, plus one small script."""
