"""The night's work: tonight's check-ins, documented outcomes, schedules and the handover report."""
