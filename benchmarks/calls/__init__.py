"""Load benchmark for logging calls: POST /api/v1/calls against the platform it starts itself.

    python -m benchmarks.calls --profile embedded --calls 2000 --concurrency 16
    python -m benchmarks.calls --profile production --rate 200 --duration 60 --concurrency 64

It starts the four services as real processes (tests.harness.Cluster) on the chosen profile
(production: PostgreSQL + Kafka protocol (Tansu) + Elasticsearch API (osmem) as well), signs in
as agent1, sends calls with an async httpx client, then waits until every accepted ticket is
dispatched and searchable and reads back when that happened. See benchmarks/README.md.
"""
