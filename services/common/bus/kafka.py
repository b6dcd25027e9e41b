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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kafka import (
    ConsumerRebalanceListener,
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    OffsetAndMetadata,
    TopicPartition,
)
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from services.common.bus import BusError, Message, Record
from services.common.settings import Settings

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 2.0
METADATA_MAX_AGE_MS = 5_000
_T = TypeVar("_T")


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
            # Fresh metadata every few seconds, so partitions added to a topic are fetched
            # within them, not after the default 5 minutes.
            "metadata_max_age_ms": METADATA_MAX_AGE_MS,
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
        """Creates the missing topics, dead-letter topics alike, with the configured
        partitions, replication and retention (`retention.ms`)."""
        if not topics:
            return
        spec = {
            "num_partitions": self.settings.kafka_partitions,
            "replication_factor": self.settings.kafka_replication,
            "configs": {"retention.ms": str(self.settings.kafka_retention_ms)},
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


class _Assignment(ConsumerRebalanceListener):
    """The partitions the group gave this member, kept as the consumer's thread learns of
    them, so another thread (readiness, metrics) can read them without touching the
    consumer, which is not thread-safe."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.partitions: frozenset[tuple[str, int]] = frozenset()
        # Since when the member waits for a join to complete (None: it is in the group).
        self.waiting_since: float | None = time.monotonic()

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.partitions = self.partitions - {(tp.topic, tp.partition) for tp in revoked}
        self.waiting_since = self.waiting_since or time.monotonic()

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.partitions = self.partitions | {(tp.topic, tp.partition) for tp in assigned}
        self.waiting_since = None
        log.info("%s holds %d partitions", self.group, len(self.partitions))

    def on_partitions_lost(self, lost: Any) -> None:
        self.on_partitions_revoked(lost)


class _GroupView:
    """The group's committed offsets and its topics' ends, asked through an admin client of
    its own that joins no group.

    Asking the group's own consumer (`committed`, `end_offsets`) would share its network
    loop: on the test broker such a call during a join kept the member from ever joining.
    This client never touches the consumer, so it may run on any thread.
    """

    def __init__(self, bus: KafkaBus, group: str, topics: Sequence[str]) -> None:
        self._bus, self._group, self._topics = bus, group, topics
        self._lock = threading.Lock()
        self._admin: KafkaAdminClient | None = None
        self._closed = False

    def shape(self) -> dict[str, tuple[str, int]]:
        """(topic id, partition count) of each subscribed topic that exists."""
        with self._lock:
            return self._ask(self._shape)

    def lag(self, seen: dict[tuple[str, int], int]) -> dict[str, int]:
        """Records after the committed offsets, per topic; `seen` holds the offset after the
        last record this member read per partition, a lower bound of the partition's end."""
        with self._lock:
            return self._ask(lambda admin: self._lag(admin, seen))

    def ends(self) -> dict[tuple[str, int], int]:
        """The offset after the last record of every partition of the topics."""
        with self._lock:
            return self._ask(lambda admin: self._offsets(admin, OffsetSpec.LATEST))

    def _ask(self, question: Callable[[KafkaAdminClient], _T]) -> _T:
        if self._closed:
            raise BusError(f"group {self._group}: the subscription is closed")
        try:
            if self._admin is None:
                self._admin = self._bus._admin()
            return question(self._admin)
        except KafkaError as exc:
            self._drop()
            raise BusError(f"group {self._group}: {exc}") from exc

    def _shape(self, admin: KafkaAdminClient) -> dict[str, tuple[str, int]]:
        described = admin.describe_topics(list(self._topics))
        return {
            t["name"]: (str(t["topic_id"]), len(t["partitions"]))
            for t in described
            if t["error_code"] == 0 and t["partitions"]
        }

    def _offsets(self, admin: KafkaAdminClient, spec: OffsetSpec) -> dict[tuple[str, int], int]:
        partitions = [
            TopicPartition(topic, p)
            for topic, (_, count) in self._shape(admin).items()
            for p in range(count)
        ]
        if not partitions:
            return {}
        found = admin.list_partition_offsets(dict.fromkeys(partitions, spec))
        return {(tp.topic, tp.partition): found[tp].offset for tp in partitions}

    def _lag(self, admin: KafkaAdminClient, seen: dict[tuple[str, int], int]) -> dict[str, int]:
        ends = self._offsets(admin, OffsetSpec.LATEST)
        starts = self._offsets(admin, OffsetSpec.EARLIEST)
        committed = admin.list_group_offsets(self._group).get(self._group, {})
        lag = dict.fromkeys(self._topics, 0)
        for key, end in ends.items():
            done = committed.get(TopicPartition(*key))
            start = starts.get(key, 0) if done is None or done.offset < 0 else done.offset
            # Tansu 0.6 reports a partition's end short of its last batch; what this member
            # already read is a lower bound that holds.
            lag[key[0]] += max(0, max(end, seen.get(key, 0)) - start)
        return lag

    def _drop(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except KafkaError:
                log.debug("closing an admin client", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()


class KafkaSubscription:
    """One consumer-group member; `poll`, `commit` and `positions` from one thread at a
    time, `lag`, `assignment` and `end_offsets` from any thread.

    The topics are watched: when one is recreated (a new topic id, as after a broker lost
    its log), the member reads its partitions of it again from the beginning: a new log
    holds no committed offsets. A commit checks the topics first and refuses (BusError) when
    they changed unnoticed: what the consumer read may come from its old position in a new
    log, and committing that position would skip the new log's first records. The consumer
    itself is kept: closing one while the group is re-forming left a member behind that the
    test broker (Tansu 0.6) kept waiting for, so the next consumer of the group never joined.
    """

    def __init__(self, bus: KafkaBus, group: str, topics: Sequence[str]) -> None:
        self._bus, self._group = bus, group
        self._topics = list(dict.fromkeys(topics))
        self._view = _GroupView(bus, group, self._topics)
        self._seen: dict[tuple[str, int], int] = {}
        self._assignment = _Assignment(group)
        self._shape: dict[str, tuple[str, int]] = {}
        self._stale = False
        self._consumer = self._join()

    def _join(self) -> KafkaConsumer:
        self._bus.check_reachable()
        self._assignment = _Assignment(self._group)
        # Taken before the consumer fetches anything, so any later change is seen as one.
        self._shape = self._view.shape()
        try:
            consumer = KafkaConsumer(**self._bus.consumer_config, group_id=self._group)
            consumer.subscribe(self._topics, listener=self._assignment)
        except KafkaError as exc:
            raise BusError(f"joining group {self._group}: {exc}") from exc
        return consumer

    def poll(self, timeout: float, max_records: int = 500) -> list[Record]:
        """Next records, in order per partition; [] when none came within `timeout`."""
        if self._stale:
            self._read_new_logs()
        self._unstick()
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except KafkaError as exc:
            raise BusError(f"poll failed: {exc}") from exc
        records = [_record(raw) for batch in batches.values() for raw in batch]
        for record in records:
            key = (record.topic, record.partition)
            self._seen[key] = max(self._seen.get(key, 0), record.offset + 1)
        return records

    def _unstick(self) -> None:
        """Replaces a consumer whose group join has not completed for three session
        timeouts: after a restart the test broker (Tansu 0.6) at times holds a join for
        ever. A member merely left without partitions has joined, and is left alone."""
        waiting = self._assignment.waiting_since
        limit = 3 * self._bus.settings.kafka_session_timeout_ms / 1000
        if waiting is None or time.monotonic() - waiting < limit:
            return
        log.warning("%s has waited %.0f s for its group to form: joining anew",
                    self._group, time.monotonic() - waiting)  # fmt: skip
        self._close_consumer()
        self._consumer = self._join()

    def _check_topics(self) -> None:
        """Marks the member stale when its topics changed since it last looked."""
        if self._view.shape() != self._shape:
            self._stale = True

    def _read_new_logs(self) -> None:
        """Creates what is missing, then reads every recreated topic from its beginning."""
        self._bus.ensure_topics(self._topics)
        shape = self._view.shape()
        new = {
            t for t, (topic_id, _) in shape.items() if self._shape.get(t, ("", 0))[0] != topic_id
        }
        log.warning("topics %s recreated: %s reads them from the beginning", sorted(new),
                    self._group)  # fmt: skip
        partitions = [tp for tp in self._consumer.assignment() if tp.topic in new]
        try:
            if partitions:
                self._consumer.seek_to_beginning(*partitions)
        except KafkaError as exc:
            raise BusError(f"rewinding recreated topics: {exc}") from exc
        self._seen = {key: n for key, n in self._seen.items() if key[0] not in new}
        self._shape, self._stale = shape, False

    def commit(self, records: Sequence[Record]) -> None:
        """Commits, per partition, the offset after the last of `records`."""
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        if not offsets:
            return
        self._check_topics()
        if self._stale:
            raise BusError(f"topics {self._topics} changed; not committed, read them again")
        try:
            self._consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()},
                timeout_ms=self._bus.timeout_ms,
            )
        except KafkaError as exc:
            raise BusError(f"commit failed: {exc}") from exc

    def rewind(self) -> None:
        """Moves every assigned partition back to its committed offset (the beginning where
        none), staying in the group."""
        consumer, timeout_ms = self._consumer, self._bus.timeout_ms
        try:
            for tp in consumer.assignment():
                committed = consumer.committed(tp, timeout_ms=timeout_ms)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
        except KafkaError as exc:
            raise BusError(f"rewinding to the committed offsets: {exc}") from exc
        self._seen = {}

    def assignment(self) -> frozenset[tuple[str, int]]:
        """The (topic, partition) pairs the group gave this member; empty until it joined."""
        return self._assignment.partitions

    def positions(self) -> dict[tuple[str, int], int]:
        """The offset this member reads next, per assigned partition (consumer's thread)."""
        consumer, timeout_ms = self._consumer, self._bus.timeout_ms
        try:
            return {
                (tp.topic, tp.partition): consumer.position(tp, timeout_ms=timeout_ms)
                for tp in consumer.assignment()
            }
        except KafkaError as exc:
            raise BusError(f"positions unavailable: {exc}") from exc

    def end_offsets(self) -> dict[tuple[str, int], int]:
        """The offset after the last record, per partition of the subscribed topics."""
        return self._view.ends()

    def lag(self) -> dict[str, int]:
        """Records after the group's committed offsets, per topic, over all partitions.
        Checks the topics too, so that a change is noticed while nothing is committed."""
        self._check_topics()
        return self._view.lag(dict(self._seen))

    def _close_consumer(self) -> None:
        try:
            self._consumer.close(autocommit=False, timeout_ms=self._bus.timeout_ms)
        except KafkaError as exc:
            log.warning("closing the consumer: %s", exc)

    def close(self) -> None:
        """Leaves the group, so its partitions go to the other members at once."""
        self._close_consumer()
        self._view.close()
