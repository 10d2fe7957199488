"""Follow-up for the municipality: a month's figures per night and week, small counts hidden."""
