"""What the tests share: real peers, the harness that starts the services, per-service
builders and the in-memory units of work the unit tests use."""
