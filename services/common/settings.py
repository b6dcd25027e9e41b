"""One Settings class for every service, read from HOTLINE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "embedded-profile-not-a-secret-change-me!"
# A valid Fernet key (base64 of 32 bytes) that says what it is; refused like the secret above.
PLACEHOLDER_PHONE_KEY = "ZW1iZWRkZWQtcHJvZmlsZS1ub3QtYS1zZWNyZXQhISE="
DEMO_USERS = Path(__file__).parent / "demo_users.toml"
ServiceName = Literal["intake", "dispatch", "feedback", "search"]
PORTS: dict[str, int] = {"intake": 8001, "dispatch": 8002, "feedback": 8003, "search": 8004}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    profile: Literal["embedded", "production"] = "embedded"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
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
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_partitions: int = 3
    kafka_replication: int = 1

    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str = ""
    elasticsearch_password: str = ""
    elasticsearch_index: str = "hotline-tickets"
    elasticsearch_analyzer: str = Field(
        default="cjk", description="cjk, or ik_max_word with IK installed"
    )

    jwt_secret: str = PLACEHOLDER_SECRET
    token_ttl_minutes: int = 12 * 60
    users_file: Path = Field(
        default=DEMO_USERS,
        description="TOML list of accounts; the default holds the demo accounts",
    )
    caller_key_secret: str = PLACEHOLDER_SECRET
    phone_keys: str = Field(
        default=PLACEHOLDER_PHONE_KEY,
        description="Fernet keys for callers' numbers at rest, comma-separated: the first "
        "encrypts, all decrypt (add the new key first to rotate)",
    )
    phone_reveal_hours: float = Field(
        default=12.0, description="How long the agent who took a call may see its number"
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
    outbox_retention_hours: int = 72
    consumer_max_attempts: int = 3
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.profile != "embedded":
            for name in ("jwt_secret", "caller_key_secret"):
                if getattr(self, name) == PLACEHOLDER_SECRET:
                    raise ValueError(
                        f"HOTLINE_{name.upper()} must be set outside the embedded profile"
                    )
            if PLACEHOLDER_PHONE_KEY in self.phone_keys.split(","):
                raise ValueError("HOTLINE_PHONE_KEYS must be set outside the embedded profile")
            if self.users_file == DEMO_USERS:
                raise ValueError(
                    "HOTLINE_USERS_FILE must name real accounts outside the embedded profile"
                )
        if self.sms_gateway == "http" and not self.sms_gateway_url:
            raise ValueError("HOTLINE_SMS_GATEWAY_URL is needed with HOTLINE_SMS_GATEWAY=http")
        return self

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
