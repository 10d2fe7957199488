"""The municipal procedure after a check-in: the escalation chain (re-look, call, visit) and visits to a promise."""
