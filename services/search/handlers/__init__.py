"""Search use cases: folding events into documents, reads, insights; ports are what they need."""
