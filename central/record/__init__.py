"""The record: every event revision and acknowledgement, kept in the relational store as central consumes them."""
