"""Audit trail in the store: hash-chained records, verification, pruning and the transparency report."""
