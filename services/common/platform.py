"""Assembles a service's runtime from settings: database, bus, relay, consumers."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import partial

from sqlalchemy import MetaData

from proto import topology
from proto.events import TOPICS
from services.common import metrics
from services.common.app import Platform
from services.common.auth import AuthContext
from services.common.bus import Bus, dead_letter_topic
from services.common.bus.factory import make_bus
from services.common.consumer import Consumer, Handler, Health, purge_inbox
from services.common.db import UnitOfWorkFactory, make_engine
from services.common.migrations import upgrade
from services.common.relay import Relay
from services.common.settings import Settings
from services.common.workers import Worker

ALL_TOPICS = (*TOPICS, *(dead_letter_topic(t) for t in TOPICS))
LAG_REPORT_SECONDS = 5.0


def make_platform(service: str, settings: Settings, metadata: MetaData) -> Platform:
    """Migrates the service's database and prepares its relay; connects to no broker yet."""
    url = settings.database_url_for(service)
    upgrade(service, url)
    engine = make_engine(url)
    bus = make_bus(settings)
    publisher = bus.publisher()
    relay = Relay(engine, metadata, publisher, settings.relay_batch)
    platform = Platform(service, engine, bus, relay, AuthContext.from_settings(settings))
    platform.max_body_bytes = settings.max_body_bytes
    loop = _RelayLoop(
        bus,
        relay,
        timedelta(hours=settings.outbox_retention_hours),
        partial(purge_inbox, engine, metadata, timedelta(hours=settings.inbox_retention_hours)),
    )
    platform.workers.append(
        Worker(
            f"{service}-relay",
            loop.step,
            idle=settings.relay_idle_seconds,
            linger=settings.batch_linger_seconds,
            settle=lambda: loop.step() > 0,
        )
    )
    platform.closers.append(publisher.close)
    return platform


def add_consumer(
    platform: Platform,
    settings: Settings,
    name: str,
    topics: Sequence[str],
    handlers: Mapping[str, Handler],
    uow: UnitOfWorkFactory,
) -> Consumer:
    """Wires consumer group `name`; it must match its declaration in proto/topology.py."""
    if problem := topology.mismatch(name, list(topics), set(handlers)):
        raise ValueError(problem)
    consumer = Consumer(
        name,
        partial(platform.bus.subscribe, name, topics),
        uow,
        handlers,
        platform.relay.publisher,
        max_attempts=settings.consumer_max_attempts,
        health=Health(settings.consumer_assignment_grace_seconds, settings.consumer_stall_seconds),
    )
    metrics.declare_consumer(name, topics, handlers)
    step = Worker(
        name,
        consumer.run_once,
        idle=0.0,
        linger=settings.batch_linger_seconds,
        settle=consumer.settle,
    )
    # Lag is asked of the broker on a thread of its own: never inside the poll loop.
    lag = Worker(f"{name}-lag", consumer.report_lag, idle=LAG_REPORT_SECONDS)
    platform.workers += [step, lag]
    platform.checks[f"consumer:{name}"] = consumer.ready
    platform.closers.append(consumer.close)
    return consumer


class _RelayLoop:
    """Creates the topics once the broker answers, then relays; a broker that is away at
    start-up only delays publishing (rows wait in the outbox). When idle, now and then,
    forgets outbox rows the broker acknowledged long ago and inbox rows processed long ago,
    so neither table grows without bound."""

    PURGE_EVERY = 600.0

    def __init__(
        self,
        bus: Bus,
        relay: Relay,
        retention: timedelta,
        purge_inbox: Callable[[], int] = lambda: 0,
    ):
        self.bus = bus
        self.relay = relay
        self.retention = retention
        self.purge_inbox = purge_inbox
        self.topics_ready = False
        self.last_purge = 0.0

    def step(self) -> int:
        if not self.topics_ready:
            self.bus.ensure_topics(ALL_TOPICS)
            self.topics_ready = True
        sent = self.relay.run_once()
        if not sent and time.monotonic() - self.last_purge > self.PURGE_EVERY:
            self.relay.purge(self.retention)
            self.purge_inbox()
            self.last_purge = time.monotonic()
        return sent
