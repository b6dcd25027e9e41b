"""The Kafka bus, through kafka-python: idempotent `acks=all` producer, manual commits.

Every call that talks to the broker is bounded in time and turns kafka-python's errors into
BusError. Nothing keeps a broken client: a failed publish drops its producer and the next
one builds a fresh one, so the bus comes back by itself when a broker returns at the same
address, even an empty one that lost its topics and producer ids.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from services.common.bus import BusError, Message, Record
from services.common.settings import Settings

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 2.0


def _addresses(bootstrap: str) -> list[tuple[str, int]]:
    """(host, port) pairs of a comma-separated bootstrap list; the port defaults to 9092."""
    pairs = [entry.strip().rpartition(":") for entry in bootstrap.split(",")]
    return [(h.strip("[]"), int(p)) if h and p.isdigit() else (p, 9092) for h, _, p in pairs]


def _reachable(bootstrap: str, timeout: float) -> bool:
    """True when some bootstrap address accepts a TCP connection within `timeout` seconds.

    Checked before building a kafka-python client: a client whose bootstrap fails waits its
    whole bootstrap timeout and, for consumers and admin clients, leaves its IO thread
    running, so a refused connection should fail fast instead.
    """
    for address in _addresses(bootstrap):
        try:
            with socket.create_connection(address, timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _record(raw: Any) -> Record:
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        # Replacing undecodable bytes keeps a foreign record from stopping the consumer; it
        # then fails in processing and goes to the dead-letter topic like any bad event.
        key=(raw.key or b"").decode(errors="replace"),
        value=raw.value or b"",
        headers={name: value.decode(errors="replace") for name, value in raw.headers or []},
    )


class KafkaBus:
    """Topics, producers and consumer groups on the cluster at `settings.kafka_bootstrap`.

    `ack_timeout_s` bounds one publish, commit, lag or topic creation against an
    unresponsive broker.
    """

    def __init__(self, settings: Settings, *, ack_timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.timeout_ms = int(ack_timeout_s * 1000)
        request_timeout_ms = max(1000, self.timeout_ms // 2)
        self.client_config: dict[str, Any] = {
            "bootstrap_servers": [f"{h}:{p}" for h, p in _addresses(settings.kafka_bootstrap)],
            "bootstrap_timeout_ms": request_timeout_ms,
            # The default backoff grows to 30 s between reconnects, which would leave a
            # returned broker unused for that long.
            "reconnect_backoff_max_ms": 1000,
        }
        self.producer_config: dict[str, Any] = {
            **self.client_config,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            "request_timeout_ms": request_timeout_ms,
            "max_block_ms": request_timeout_ms,
            "delivery_timeout_ms": self.timeout_ms,
            # Topics are created with the configured partition count, never implicitly.
            "allow_auto_create_topics": False,
        }
        self.consumer_config: dict[str, Any] = {
            **self.client_config,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "session_timeout_ms": settings.kafka_session_timeout_ms,
            "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
            "allow_auto_create_topics": False,
        }

    def check_reachable(self, timeout: float = PING_TIMEOUT_S) -> None:
        """Raises BusError unless a bootstrap address accepts connections."""
        if not _reachable(self.settings.kafka_bootstrap, timeout):
            raise BusError(f"no Kafka broker reachable at {self.settings.kafka_bootstrap}")

    def publisher(self) -> KafkaPublisher:
        return KafkaPublisher(self)

    def subscribe(self, group: str, topics: Sequence[str]) -> KafkaSubscription:
        """Joins `group` on `topics` (created when missing); BusError if no broker answers."""
        self.ensure_topics(topics)
        return KafkaSubscription(self, group, topics)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Creates the missing topics with the configured partitions and replication."""
        if not topics:
            return
        spec = {
            "num_partitions": self.settings.kafka_partitions,
            "replication_factor": self.settings.kafka_replication,
        }
        admin = self._admin()
        try:
            new_topics = dict.fromkeys(topics, spec)
            result = admin.create_topics(new_topics, self.timeout_ms, raise_errors=False)
        except KafkaError as exc:
            raise BusError(f"creating topics {list(topics)} failed: {exc}") from exc
        finally:
            admin.close()
        failed = {
            entry["name"]: entry["error_message"] or entry["error_code"]
            for entry in result["topics"]
            if entry["error_code"] not in (0, TopicAlreadyExistsError.errno)
        }
        if failed:
            raise BusError(f"creating topics failed: {failed}")

    def ping(self) -> bool:
        """True when a broker answers a metadata request within about two seconds."""
        try:
            self._admin(bootstrap_timeout_ms=int(PING_TIMEOUT_S * 1000)).close()
        except BusError:
            return False
        return True

    def _admin(self, **overrides: Any) -> KafkaAdminClient:
        """An admin client that has bootstrapped (fetched metadata); BusError otherwise."""
        self.check_reachable()
        config = {**self.client_config, "request_timeout_ms": self.timeout_ms, **overrides}
        try:
            return KafkaAdminClient(**config)
        except KafkaError as exc:
            raise BusError(f"Kafka admin client: {exc}") from exc


class KafkaPublisher:
    """Publishes through one idempotent producer; safe to share between threads."""

    def __init__(self, bus: KafkaBus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._producer: KafkaProducer | None = None
        self._known_topics: set[str] = set()

    def publish(self, messages: Sequence[Message]) -> None:
        """Returns once the broker acknowledged every message; BusError otherwise.

        A BusError may come after some messages were stored: publishing them again is how
        the caller recovers, and consumers drop the duplicates.
        """
        if not messages:
            return
        with self._lock:
            try:
                self._send(messages)
            except KafkaTimeoutError as exc:
                self._discard()
                raise BusError(f"publish not acknowledged in time: {exc}") from exc
            except KafkaError as exc:
                # Typically a broker that restarted and no longer knows this producer's id:
                # the producer is unusable from then on, a fresh one gets a new id.
                log.warning("publish failed (%s); retrying once with a new producer", exc)
                self._discard()
                try:
                    self._send(messages)
                except KafkaError as again:
                    self._discard()
                    raise BusError(f"publish failed: {again}") from again

    def _send(self, messages: Sequence[Message]) -> None:
        # A little past delivery_timeout_ms, so the producer's own expiry error comes first.
        deadline = time.monotonic() + self._bus.timeout_ms / 1000 + 1.0
        producer = self._ready({m.topic for m in messages})
        futures = [
            producer.send(
                m.topic,
                key=m.key.encode(),
                value=m.value,
                headers=[(name, value.encode()) for name, value in m.headers.items()],
            )
            for m in messages
        ]
        producer.flush(timeout=max(0.0, deadline - time.monotonic()))
        for future in futures:
            future.get(timeout=max(0.0, deadline - time.monotonic()))

    def _ready(self, topics: set[str]) -> KafkaProducer:
        """The producer, built when missing, after making sure `topics` exist."""
        missing = topics - self._known_topics
        if self._producer is None or missing:
            self._bus.check_reachable()
        if missing:
            try:
                self._bus.ensure_topics(sorted(missing))
            except BusError as exc:
                # Creating topics may be forbidden where they are provisioned by other
                # means; sending tells whether they exist.
                log.warning("could not ensure topics %s: %s", sorted(missing), exc)
            self._known_topics |= missing
        if self._producer is None:
            self._producer = KafkaProducer(**self._bus.producer_config)
        return self._producer

    def _discard(self) -> None:
        producer, self._producer = self._producer, None
        self._known_topics.clear()
        if producer is not None:
            producer.close(timeout=0)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=self._bus.timeout_ms / 1000)
                self._producer = None


class KafkaSubscription:
    """One consumer-group member; use it from one thread at a time."""

    def __init__(self, bus: KafkaBus, group: str, topics: Sequence[str]) -> None:
        self._bus = bus
        self._topics = list(dict.fromkeys(topics))
        bus.check_reachable()
        try:
            self._consumer = KafkaConsumer(**bus.consumer_config, group_id=group)
            self._consumer.subscribe(self._topics)
        except KafkaError as exc:
            raise BusError(f"joining group {group}: {exc}") from exc

    def poll(self, timeout: float, max_records: int = 500) -> list[Record]:
        """Next records, in order per partition; [] when none came within `timeout`."""
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except KafkaError as exc:
            raise BusError(f"poll failed: {exc}") from exc
        return [_record(raw) for batch in batches.values() for raw in batch]

    def commit(self, records: Sequence[Record]) -> None:
        """Commits, per partition, the offset after the last of `records`."""
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        if not offsets:
            return
        try:
            self._consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()},
                timeout_ms=self._bus.timeout_ms,
            )
        except KafkaError as exc:
            raise BusError(f"commit failed: {exc}") from exc

    def lag(self) -> dict[str, int]:
        """Records after the group's committed offsets, per topic, over all partitions."""
        self._bus.check_reachable()
        try:
            return self._lag()
        except KafkaError as exc:
            raise BusError(f"lag unavailable: {exc}") from exc

    def _lag(self) -> dict[str, int]:
        consumer, timeout_ms = self._consumer, self._bus.timeout_ms
        partitions = [
            TopicPartition(topic, p)
            for topic in self._topics
            for p in sorted(consumer.partitions_for_topic(topic))
        ]
        ends = consumer.end_offsets(partitions, timeout_ms=timeout_ms)
        # A partition never committed is read from its beginning (auto_offset_reset).
        starts = consumer.beginning_offsets(partitions, timeout_ms=timeout_ms)
        for tp in partitions:
            committed = consumer.committed(tp, timeout_ms=timeout_ms)
            starts[tp] = starts[tp] if committed is None else committed
        assigned = consumer.assignment()
        lag = dict.fromkeys(self._topics, 0)
        for tp in partitions:
            end = ends[tp]
            if tp in assigned:
                # Some brokers (Tansu 0.6) report a partition's end short of its last batch;
                # what this member already read is a lower bound that holds.
                end = max(end, consumer.position(tp, timeout_ms=timeout_ms) or 0)
            lag[tp.topic] += max(0, end - starts[tp])
        return lag

    def close(self) -> None:
        """Leaves the group, so its partitions go to the other members at once."""
        try:
            self._consumer.close(autocommit=False, timeout_ms=self._bus.timeout_ms)
        except KafkaError as exc:
            log.warning("closing the consumer: %s", exc)
