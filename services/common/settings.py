"""One Settings class for every service, read from HOTLINE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
# Secrets only some services hold, so that a leak of any other service reveals no number:
# each of those services asks for its own at start-up (`checked_for`), the rest run without.
HELD_BY: dict[str, frozenset[str]] = {
    "HOTLINE_CALLER_KEY_SECRET": frozenset({"intake"}),
    "HOTLINE_PHONE_KEYS": frozenset({"intake"}),
    "HOTLINE_RATING_LINK_KEYS": frozenset({"intake", "feedback"}),
}
_WHY = {
    "HOTLINE_JWT_SECRET": "it signs staff sessions; 32+ random characters",
    "HOTLINE_CALLER_KEY_SECRET": "it keys caller references; 32+ random characters",
    "HOTLINE_PHONE_KEYS": "Fernet keys that encrypt callers' numbers at rest",
    "HOTLINE_RATING_LINK_KEYS": "Fernet keys that seal rating links on their way to intake",
    "HOTLINE_USERS_FILE": "a TOML file of real accounts, not the demo accounts",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

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

    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str = ""
    elasticsearch_password: str = ""
    elasticsearch_index: str = "hotline-tickets"
    elasticsearch_analyzer: str = Field(
        default="cjk", description="cjk, or ik_max_word with IK installed"
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
    caller_key_secret: str = Field(
        default=PLACEHOLDER_SECRET,
        description="Keys intake's caller references (intake only); 32+ random characters, "
        "required outside the embedded profile",
    )
    phone_keys: str = Field(
        default=PLACEHOLDER_PHONE_KEY,
        description="Fernet keys for callers' numbers at rest, comma-separated: the first "
        "encrypts, all decrypt (add the new key first to rotate)",
    )
    phone_reveal_hours: float = Field(
        default=12.0, description="How long the agent who took a call may see its number"
    )
    rating_link_keys: str = Field(
        default=PLACEHOLDER_PHONE_KEY,
        description="Fernet keys, comma-separated, that feedback seals rating links with and "
        "intake opens them with (only those two hold them): the first seals, all open",
    )
    phone_retention_days: int = Field(
        default=180,
        ge=1,
        description="Days after a ticket closes before intake erases its callers' numbers "
        "(the masked form stays): long enough for a reopening or a complaint about it",
    )
    retention_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often intake looks for numbers past retention"
    )
    sms_gateway: Literal["outbox", "http"] = Field(
        default="outbox", description="outbox: texts stay in intake's local outbox page"
    )
    sms_gateway_url: str = Field(default="", description="With sms_gateway=http: where to POST")
    sms_gateway_token: str = Field(default="", description="Bearer token for the SMS gateway")
    sms_timeout_seconds: float = Field(default=5.0, description="Per attempt, then retried")
    sms_max_attempts: int = Field(default=8, description="Attempts before a text is failed")
    sms_retry_base_seconds: float = Field(
        default=5.0, description="First retry delay; doubled each attempt, at most an hour"
    )

    relay_batch: int = 500
    relay_idle_seconds: float = 0.05
    batch_linger_seconds: float = Field(
        default=0.05,
        ge=0,
        description="After publishing or consuming, relays and consumers wait this long, so "
        "under load each commit carries a batch (adds at most this much latency per hop)",
    )
    call_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that log calls in intake; more only queue on the database writer",
    )
    max_body_bytes: int = Field(
        default=MAX_BODY_BYTES,
        ge=1024,
        description="Largest request body accepted (bytes); larger ones get 413 before "
        "anything reads them. Every JSON body the APIs take fits well inside 1 MiB",
    )
    outbox_retention_hours: int = 72
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
        found = [
            f"HOTLINE_{name.upper()}"
            for name in ("jwt_secret", "caller_key_secret")
            if getattr(self, name) == PLACEHOLDER_SECRET or len(getattr(self, name)) < 32
        ]
        for name in ("phone_keys", "rating_link_keys"):
            keys = getattr(self, name).split(",")
            if PLACEHOLDER_PHONE_KEY in keys or not all(k.strip() for k in keys):
                found.append(f"HOTLINE_{name.upper()}")
        if self.users_file == DEMO_USERS:
            found.append("HOTLINE_USERS_FILE")
        return [n for n in found if n not in HELD_BY or service in HELD_BY[n]]

    def checked_for(self, service: str) -> Settings:
        """These settings, once the secrets only `service` holds are known to be set."""
        self._refuse(self.placeholders(service))
        return self

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        self._refuse(self.placeholders())
        trusted_networks(self.trusted_proxies)  # a bad entry is named at start-up
        if self.sign_in_memory_minutes * 60 <= self.sign_in_max_delay_seconds:
            raise ValueError("HOTLINE_SIGN_IN_MEMORY_MINUTES must exceed the longest wait")
        if self.sms_gateway == "http" and not self.sms_gateway_url:
            raise ValueError("HOTLINE_SMS_GATEWAY_URL is needed with HOTLINE_SMS_GATEWAY=http")
        return self

    def _refuse(self, unset: list[str]) -> None:
        # Every missing value at once, one line each: an operator fixes them in one go.
        if unset and self.profile != "embedded":
            raise ValueError(
                "the production profile needs its own secrets and accounts:\n"
                + "\n".join(f"{name} must be set ({_WHY[name]})" for name in unset)
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
