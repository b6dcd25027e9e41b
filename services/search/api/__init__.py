"""Search's JSON API under /api/v1: thin routes, their query parameters and the CSV export."""
