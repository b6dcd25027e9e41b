"""Feedback use cases: each one a transaction with its events in the same one."""
