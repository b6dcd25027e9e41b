"""The whole platform as real processes, on the embedded profile and on the production
profile (PostgreSQL + Kafka-protocol broker + Elasticsearch-API server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.harness import Cluster, embedded_env, full_env


@pytest.fixture(scope="module", params=["embedded", "production"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp(f"platform-{request.param}")
    if request.param == "embedded":
        env = embedded_env(data_dir)
    else:
        env = full_env(
            data_dir,
            request.getfixturevalue("postgres"),
            request.getfixturevalue("kafka_broker"),
            request.getfixturevalue("elasticsearch"),
        )
    platform = Cluster(env, data_dir)
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()
