"""Alarms that reach staff away from the console: forwarding unacknowledged HIGH events by web push and webhook."""
