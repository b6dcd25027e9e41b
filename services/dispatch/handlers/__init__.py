"""Dispatch use cases: each one transaction that saves a change with the events saying so."""
