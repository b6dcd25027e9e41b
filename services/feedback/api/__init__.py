"""Feedback's HTTP entry points: thin routes that parse, authorize and hand over."""
