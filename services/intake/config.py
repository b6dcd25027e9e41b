"""Intake's own settings: callers' numbers, texts to citizens, call logging (HOTLINE_*)."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import (
    PLACEHOLDER_PHONE_KEY,
    PLACEHOLDER_SECRET,
    ServiceName,
    ServiceSettings,
    Settings,
    weak_keys,
    weak_secret,
)


class IntakeSettings(ServiceSettings):
    """Only intake holds the keys to callers' numbers, so a leak of another service reveals
    none; its variables keep the platform's HOTLINE_ prefix."""

    service: ClassVar[ServiceName] = "intake"
    secrets: ClassVar[dict[str, str]] = {
        "HOTLINE_CALLER_KEY_SECRET": "it keys caller references; 32+ random characters",
        "HOTLINE_PHONE_KEYS": "Fernet keys that encrypt callers' numbers at rest",
    }

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
    phone_retention_days: int = Field(
        default=180,
        ge=1,
        description="Days after a ticket closes before intake erases its callers' numbers "
        "(the masked form stays): long enough for a reopening or a complaint about it",
    )
    retention_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often intake looks for numbers past retention"
    )
    intake_suggester_retrain_hours: float = Field(
        default=24.0,
        ge=0,
        description="How often intake retrains the category suggester on its own tickets "
        "(when enough new ones came in), so suggestions follow how callers speak; 0: never, "
        "only `hotline train-suggester`",
    )
    intake_suggester_retrain_min_tickets: int = Field(
        default=200,
        ge=1,
        description="New tickets since the latest suggester model that a scheduled retrain "
        "waits for: fewer would hardly change the model and would cost a training",
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
    portal_url: str = Field(
        default="",
        description="Where citizens reach intake's public pages (tracking links in texts and "
        "emails), e.g. https://12345.example.gov.cn/intake; required outside the embedded "
        "profile, where empty means intake's own address",
    )
    call_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that log calls in intake; more only queue on the database writer",
    )
    mail_imap_host: str = Field(
        default="",
        description="The citizens' mailbox (IMAP server) whose new messages become tickets; "
        "empty: no email inbox (the embedded default)",
    )
    mail_imap_port: int = Field(default=993, description="IMAP port (993 TLS, 143 plain)")
    mail_imap_tls: Literal["tls", "starttls", "none"] = Field(
        default="tls",
        description="tls: connect over TLS; starttls: upgrade a plain connection; none: only "
        "for a server on the same host",
    )
    mail_imap_user: str = Field(default="", description="IMAP login of the citizens' mailbox")
    mail_imap_password: SecretStr = Field(
        default=SecretStr(""), description="IMAP password of the citizens' mailbox"
    )
    mail_imap_mailbox: str = Field(default="INBOX", description="The folder read for new mail")
    mail_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often an idle mailbox is asked for new mail"
    )
    mail_max_bytes: int = Field(
        default=15_000_000,
        ge=10_000,
        description="A larger message becomes a ticket from its headers alone (subject and "
        "sender), so one huge mail cannot stall the inbox",
    )
    mail_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long one intake instance holds the mailbox, or an answer it is "
        "sending, without renewing it: another instance takes over after that when the "
        "holder died; keep it above the SMTP timeout (30 s)",
    )
    mail_instance: str = Field(
        default="",
        max_length=64,
        description="This instance's name on the mailbox lease and on the answers it is "
        "sending; empty: host name and intake's port. An instance restarted under the same "
        "name takes them back at once instead of waiting out the lease; two instances must "
        "never share one",
    )
    mail_smtp_host: str = Field(
        default="", description="SMTP server the answers to citizens' mail leave through"
    )
    mail_smtp_port: int = Field(default=465, description="SMTP port (465 TLS, 587 STARTTLS)")
    mail_smtp_tls: Literal["tls", "starttls", "none"] = Field(
        default="tls", description="As mail_imap_tls, for the SMTP server"
    )
    mail_smtp_user: str = Field(default="", description="SMTP login; empty: no login")
    mail_smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password")
    mail_smtp_from: str = Field(
        default="", description="The From address of answers, e.g. 12345@example.gov.cn"
    )
    mail_max_attempts: int = Field(
        default=12,
        ge=1,
        description="Attempts before an answer is failed; delays double from 5 s up to an "
        "hour, so the default outlasts a few hours' outage",
    )
    frequent_caller_per_day: int = Field(
        default=5,
        ge=1,
        description="A caller with more requests than this in one day (Beijing time) is "
        "flagged as a frequent caller on the new ticket, for agents and dispatchers to see; "
        "the call is never refused",
    )
    photo_uploads_free: int = Field(
        default=60,
        ge=1,
        description="Photo uploads one client address may make on each intake instance "
        "before each further one must wait (1 s, doubling up to 15 min; forgotten after an "
        "hour without uploads): citizens upload without signing in, and a department's "
        "office shares one address",
    )

    portal_requests_per_minute: int = Field(
        default=300,
        ge=1,
        description="Requests one client address may make per minute to the citizen "
        "portal's API (/api/v1/public/...) on each intake instance; more get 429. A page "
        "load makes several and the category and place boxes ask as the citizen types, and "
        "many citizens may share one address (a mobile carrier's NAT)",
    )
    media_requests_per_minute: int = Field(
        default=600,
        ge=1,
        description="Photo and thumbnail fetches (/media/...) one client address may make "
        "per minute on each intake instance; more get 429. A timeline shows several "
        "thumbnails per page, and a department's office shares one address",
    )
    open311_requests_per_minute: int = Field(
        default=120,
        ge=1,
        description="Open311 requests one client address may make per minute on each intake "
        "instance, keyed or not (posts are also limited per app key); more get 429",
    )

    open311_jurisdiction_id: str = Field(
        default="12345.example.gov.cn",
        min_length=1,
        description="The jurisdiction_id city apps send to Open311 (the city's domain by "
        "convention); a request naming another is refused",
    )
    open311_contact: str = Field(
        default="12345 热线运维 <12345@example.gov.cn>",
        description="Who app developers contact about Open311 (its discovery document)",
    )
    open311_key_service: str = Field(
        default="向热线管理员申请：每个城市应用一个 API key",
        description="How app developers get an Open311 API key (its discovery document)",
    )
    open311_posts_per_minute: int = Field(
        default=30,
        ge=1,
        description="Open311 requests one app key may post per minute on each intake "
        "instance; more get 429, so one runaway app cannot flood the hotline",
    )
    intake_urgency_cues_file: str = Field(
        default="",
        description="TOML file of the urgency cues: words in a caller's description (a gas "
        "smell, an elderly person alone who fell) that suggest an urgency the agent confirms; "
        "empty: the built-in list (services/intake/seed/urgency_cues.toml, whose form a "
        "replacement keeps). Intake refuses to start with a file it cannot use",
    )

    def checked_for(self, platform: Settings) -> Self:
        """As every service; then, outside the embedded profile, a missing public address:
        tracking links are texted and mailed to citizens, who cannot reach intake's own."""
        checked = super().checked_for(platform)
        if platform.profile != "embedded" and not self.portal_url:
            raise ValueError(
                "intake needs, outside the embedded profile:\nHOTLINE_PORTAL_URL must be set"
            )
        return checked

    def portal_base(self, settings: Settings) -> str:
        return (self.portal_url or settings.url_for("intake")).rstrip("/")

    def placeholders(self) -> list[str]:
        found = ["HOTLINE_CALLER_KEY_SECRET"] if weak_secret(self.caller_key_secret) else []
        return found + (["HOTLINE_PHONE_KEYS"] if weak_keys(self.phone_keys) else [])

    @model_validator(mode="after")
    def _gateway_has_an_address(self) -> IntakeSettings:
        if self.sms_gateway == "http" and not self.sms_gateway_url:
            raise ValueError("HOTLINE_SMS_GATEWAY_URL is needed with HOTLINE_SMS_GATEWAY=http")
        if self.mail_imap_host and not (self.mail_smtp_host and self.mail_smtp_from):
            raise ValueError(
                "HOTLINE_MAIL_SMTP_HOST and HOTLINE_MAIL_SMTP_FROM are needed with "
                "HOTLINE_MAIL_IMAP_HOST: every citizen's mail is answered"
            )
        return self
