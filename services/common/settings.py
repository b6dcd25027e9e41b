"""The platform's settings, and the base of each service's own (services/<name>/config.py).

Every settings class reads the environment and a `.env` file in the working directory the
same way (`HotlineSettings.model_config`); `Settings` holds only what every service needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.clients import trusted_networks

PLACEHOLDER_SECRET = "embedded-profile-not-a-secret-change-me!"
# A valid Fernet key (base64 of 32 bytes) that says what it is; refused like the secret above.
PLACEHOLDER_PHONE_KEY = "ZW1iZWRkZWQtcHJvZmlsZS1ub3QtYS1zZWNyZXQhISE="
DEMO_USERS = Path(__file__).parent / "demo_users.toml"
ServiceName = Literal["intake", "dispatch", "feedback", "search"]
PORTS: dict[str, int] = {"intake": 8001, "dispatch": 8002, "feedback": 8003, "search": 8004}
MAX_BODY_BYTES = 1024 * 1024
# Addresses only this machine reaches: the embedded profile's public placeholders are safe there.
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# Shared secrets only some services hold, so that a leak of any other service reveals no
# number: each of those services asks for them at start-up (`ServiceSettings.checked_for`),
# the rest run without. A secret only one service holds lives in its own settings.
HELD_BY: dict[str, frozenset[str]] = {
    "HOTLINE_RATING_LINK_KEYS": frozenset({"intake", "feedback"}),
}
_WHY = {
    "HOTLINE_JWT_SECRET": "it signs staff sessions; 32+ random characters",
    "HOTLINE_RATING_LINK_KEYS": "Fernet keys that seal rating links on their way to intake",
    "HOTLINE_USERS_FILE": "a TOML file of real accounts, not the demo accounts",
}


def weak_secret(value: str) -> bool:
    """The published placeholder, or too short to be secret (under 32 characters)."""
    return value == PLACEHOLDER_SECRET or len(value) < 32


def weak_keys(value: str) -> bool:
    """Comma-separated Fernet keys that include the published placeholder or an empty one."""
    keys = value.split(",")
    return PLACEHOLDER_PHONE_KEY in keys or not all(k.strip() for k in keys)


class HotlineSettings(BaseSettings):
    """How every settings class reads its values: the environment, then `.env`; a subclass
    names its own `env_prefix` when its variables have one (HOTLINE_DISPATCH_*)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")


class Settings(HotlineSettings):
    """What every service needs: where it listens and keeps data, the bus, sign-in."""

    profile: Literal["embedded", "production"] = Field(
        default="embedded",
        description="embedded runs on its published placeholder secrets and demo accounts "
        "(loopback only); production refuses to start until each is set",
    )
    data_dir: Path = Path("data")
    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; other than 127.0.0.1, ::1 or localhost only once "
        "no placeholder secret or demo account is in use",
    )
    root_path: str = Field(
        default="", description="URL prefix a reverse proxy serves this service under, e.g. /intake"
    )
    base_port: int = Field(
        default=8001, description="intake listens here, dispatch +1, feedback +2, ..."
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; `{service}` is replaced by the service name. "
        "Empty: a SQLite file per service under data_dir.",
    )

    bus: Literal["embedded", "kafka"] = "embedded"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_session_timeout_ms: int = Field(
        default=6_000,
        description="A member silent this long is expelled and its partitions move on. 6000 "
        "is the least Apache Kafka accepts (group.min.session.timeout.ms); a group join takes "
        "about half of it on Tansu, so longer only slows every start and rebalance",
    )
    kafka_heartbeat_interval_ms: int = Field(
        default=2_000,
        description="A third of the session timeout, as Kafka advises: two heartbeats may be "
        "lost before a member is expelled",
    )
    kafka_partitions: int = Field(
        default=3,
        description="Partitions of each topic Hotline creates, dead-letter topics too: at most "
        "this many instances of a service share the work (more stay idle and unready)",
    )
    kafka_replication: int = Field(default=1, description="Replicas of each topic it creates")
    kafka_retention_ms: int = Field(
        default=-1,
        description="retention.ms of the topics Hotline creates; -1 keeps every event, which "
        "`hotline rebuild-search` replays to rebuild the whole index",
    )

    jwt_secret: str = Field(
        default=PLACEHOLDER_SECRET,
        description="Signs staff sessions; 32+ random characters, required outside the "
        "embedded profile",
    )
    token_ttl_minutes: int = Field(
        default=12 * 60,
        gt=0,
        description="How long a token (and the pages' cookie) lasts: one shift, since pages "
        "cannot renew it and signing an agent out mid-call costs more; signing out revokes "
        "it at once on every service",
    )
    sign_in_free_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per account before each further attempt must wait "
        "(1 s, doubling with every failure); a success starts the count again",
    )
    sign_in_free_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="The same per client address, higher than per account since a call "
        "centre's agents may share one address",
    )
    sign_in_max_delay_seconds: float = Field(
        default=900.0,
        ge=1,
        description="Longest wait after failed sign-ins: caps how long a guesser can keep "
        "a colleague out of their account",
    )
    sign_in_memory_minutes: float = Field(
        default=60.0,
        gt=0,
        description="Failed sign-ins older than this are forgotten; must exceed the longest wait",
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For is believed: comma-separated "
        "addresses or CIDR networks. Rate limits and sign-in throttling count the first "
        "address to the left of them; empty: the connection's peer, the header ignored",
    )
    users_file: Path = Field(
        default=DEMO_USERS,
        description="TOML list of accounts; the default holds the demo accounts",
    )
    rating_link_keys: str = Field(
        default=PLACEHOLDER_PHONE_KEY,
        description="Fernet keys, comma-separated, that feedback seals rating links with and "
        "intake opens them with (only those two hold them): the first seals, all open",
    )
    relay_batch: int = 500
    relay_idle_seconds: float = 0.05
    batch_linger_seconds: float = Field(
        default=0.05,
        ge=0,
        description="After publishing or consuming, relays and consumers wait this long, so "
        "under load each commit carries a batch (adds at most this much latency per hop)",
    )
    max_body_bytes: int = Field(
        default=MAX_BODY_BYTES,
        ge=1024,
        description="Largest request body accepted (bytes); larger ones get 413 before "
        "anything reads them. Every JSON body the APIs take fits well inside 1 MiB",
    )
    outbox_retention_hours: int = 72
    inbox_retention_hours: int = Field(
        default=168,
        ge=1,
        description="Processed event ids are forgotten after this long. Longer than any "
        "redelivery: an event is published at most until its outbox row is purged "
        "(outbox_retention_hours, 72 h) and the broker redelivers only what follows a "
        "consumer's last committed offset (minutes after a crash); a search rebuild replays "
        "from the beginning in a group of its own, without the inbox: its fold keeps per "
        "field the occurred_at|event_id that last wrote it, so an event folded twice "
        "changes nothing",
    )
    consumer_max_attempts: int = 3
    consumer_assignment_grace_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A consumer without partitions for longer is unready, and a rebuild that "
        "waited this long for its partitions gives up; a join takes about 3 s with the "
        "default Kafka timings, a rebalance after a member left up to the session timeout",
    )
    consumer_stall_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A consumer whose loop has not polled for longer is unready: a batch "
        "takes well under a second, and a failing one is retried within 5 s",
    )
    log_level: str = "INFO"

    def placeholders(self, service: str | None = None) -> list[str]:
        """The secrets still at their published embedded-profile values (or too short to be
        secret: under 32 characters), and the demo accounts file. Secrets in HELD_BY count
        only for the services that hold them."""
        found = ["HOTLINE_JWT_SECRET"] if weak_secret(self.jwt_secret) else []
        found += ["HOTLINE_RATING_LINK_KEYS"] if weak_keys(self.rating_link_keys) else []
        found += ["HOTLINE_USERS_FILE"] if self.users_file == DEMO_USERS else []
        return [n for n in found if n not in HELD_BY or service in HELD_BY[n]]

    def checked_for(self, service: str) -> Settings:
        """These settings, once the shared secrets `service` holds are known to be set."""
        self.refuse(self.placeholders(service))
        return self

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        self.refuse(self.placeholders())
        trusted_networks(self.trusted_proxies)  # a bad entry is named at start-up
        if self.sign_in_memory_minutes * 60 <= self.sign_in_max_delay_seconds:
            raise ValueError("HOTLINE_SIGN_IN_MEMORY_MINUTES must exceed the longest wait")
        return self

    def refuse(self, unset: list[str], why: Mapping[str, str] | None = None) -> None:
        """Raises ValueError naming each of `unset` (variables still at a published
        placeholder) outside the embedded profile, or on a non-loopback host; `why` says
        what a service's own secrets are for."""
        reasons = {**_WHY, **(why or {})}
        # Every missing value at once, one line each: an operator fixes them in one go.
        if unset and self.profile != "embedded":
            raise ValueError(
                "the production profile needs its own secrets and accounts:\n"
                + "\n".join(f"{name} must be set ({reasons[name]})" for name in unset)
            )
        if unset and self.host not in LOOPBACK:
            raise ValueError(
                f"HOTLINE_HOST={self.host} would expose the embedded profile's published "
                f"placeholders ({', '.join(unset)}): set them, or listen on 127.0.0.1"
            )

    def port(self, service: str) -> int:
        return self.base_port + list(PORTS).index(service)

    def url_for(self, service: str) -> str:
        return f"http://{self.host}:{self.port(service)}"

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite:///{self.data_dir / service}.db"

    @property
    def bus_path(self) -> Path:
        return self.data_dir / "bus.db"


class ServiceSettings(HotlineSettings):
    """The base of each service's own settings, `<Name>Settings` in services/<name>/config.py:
    the settings only that service reads, in the same environment and `.env`."""

    service: ClassVar[ServiceName]
    # Why each of its own secrets matters, for the refusal that names it.
    secrets: ClassVar[Mapping[str, str]] = {}

    def placeholders(self) -> list[str]:
        """This service's own secrets still at their published placeholders."""
        return []

    def checked_for(self, platform: Settings) -> Self:
        """These settings, once every secret the service holds, shared or its own, is known
        to be set (outside the embedded profile, or on a non-loopback host)."""
        platform.refuse(self.placeholders() + platform.placeholders(self.service), self.secrets)
        return self
