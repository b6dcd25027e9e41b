"""Operator commands: rebuilding the search index from the event log."""
