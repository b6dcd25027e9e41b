"""Intake use cases: each one is one transaction, with its events in the same one."""
