"""Settings from flags, the environment and the plans file. Flags win over
the environment; everything has a default that runs with no set-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inmail.clock import Clock, ManualClock, SystemClock
from inmail.domain.errors import ValidationFailed
from inmail.domain.plans import load_plans
from inmail.domain.webhooks import TIMEOUT_S
from inmail.service.context import Context
from inmail.service.secret_box import SecretBox
from inmail.service.webhook_config import WebhookConfig
from inmail.store.database import Database
from inmail.store.migrate import upgrade

DEFAULT_DATABASE_URL = "sqlite:///inmail.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    admin_token: str | None = None
    clock: str = "system"
    start: datetime | None = None
    plans_file: str | None = None
    # Per-token request rate, "COUNT/PERIOD" like "120/60s" (inmail.api.ratelimit);
    # None: no limit.
    rate_limit: str | None = None
    # Days an idempotent answer is kept before the worker prunes its key.
    idempotency_retention_days: float = 7.0
    # The key material that seals webhook secrets (service.secret_box); None:
    # derived from the admin token.
    webhook_key: str | None = None
    webhook_allow_private: bool = False
    # How long a receiver has to answer (the contract's 10 s); lower it to
    # find dead receivers sooner.
    webhook_timeout_s: float = TIMEOUT_S

    @classmethod
    def from_env(cls, **flags: object) -> Settings:
        """The environment, overridden by every flag that was given (not None)."""
        env = {
            "database_url": os.environ.get("INMAIL_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "admin_token": os.environ.get("INMAIL_ADMIN_TOKEN") or None,
            "clock": os.environ.get("INMAIL_CLOCK") or "system",
            "plans_file": os.environ.get("INMAIL_CONFIG") or None,
            "rate_limit": os.environ.get("INMAIL_RATE_LIMIT") or None,
            "idempotency_retention_days": _retention_days(
                os.environ.get("INMAIL_IDEMPOTENCY_RETENTION_DAYS") or "7"
            ),
            "webhook_key": os.environ.get("INMAIL_WEBHOOK_KEY") or None,
            "webhook_allow_private": _flag(
                "INMAIL_WEBHOOK_ALLOW_PRIVATE", os.environ.get("INMAIL_WEBHOOK_ALLOW_PRIVATE")
            ),
            "webhook_timeout_s": _timeout(os.environ.get("INMAIL_WEBHOOK_TIMEOUT_SECONDS")),
        }
        env.update({key: value for key, value in flags.items() if value is not None})
        settings = cls(**env)  # type: ignore[arg-type]
        if settings.clock not in ("system", "manual"):
            raise ValidationFailed("clock must be 'system' or 'manual'")
        if settings.rate_limit is not None:
            from inmail.api.ratelimit import parse_rate_limit

            parse_rate_limit(settings.rate_limit)  # a bad value stops the start, saying why
        return settings


def _retention_days(text: str) -> float:
    problem = "INMAIL_IDEMPOTENCY_RETENTION_DAYS must be a number of days above 0, at most 3650"
    try:
        days = float(text)
    except ValueError as exc:
        raise ValidationFailed(problem) from exc
    if not 0 < days <= 3650:
        raise ValidationFailed(problem)
    return days


def _timeout(text: str | None) -> float:
    problem = f"INMAIL_WEBHOOK_TIMEOUT_SECONDS must be seconds from 0.1 to {TIMEOUT_S:g}"
    try:
        seconds = float(text) if text else TIMEOUT_S
    except ValueError as exc:
        raise ValidationFailed(problem) from exc
    if not 0.1 <= seconds <= TIMEOUT_S:
        raise ValidationFailed(problem)
    return seconds


def _flag(name: str, text: str | None) -> bool:
    value = (text or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValidationFailed(f"{name} must be true or false")
    return value in ("true", "1", "yes")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_clock(settings: Settings) -> Clock:
    return ManualClock(settings.start) if settings.clock == "manual" else SystemClock()


def open_context(settings: Settings, *, migrate: bool = True) -> Context:
    """Load the plans, open the database (creating or upgrading its schema) and
    check that every plan in use is still defined."""
    plans = load_plans(settings.plans_file)
    database = Database(settings.database_url)
    if migrate:
        upgrade(database)
    ctx = Context(
        database=database,
        clock=make_clock(settings),
        plans=plans,
        idempotency_retention=timedelta(days=settings.idempotency_retention_days),
        webhooks=WebhookConfig(
            box=SecretBox(settings.webhook_key or settings.admin_token),
            allow_private=settings.webhook_allow_private,
            timeout_s=settings.webhook_timeout_s,
        ),
    )
    ctx.check_plans()
    return ctx


ADMIN_TOKEN_MIN_LENGTH = 32


def admin_token_problem(settings: Settings) -> str | None:
    """Why this admin token may not guard a real (system-clock) deployment."""
    token = settings.admin_token
    if token is None:
        return "set INMAIL_ADMIN_TOKEN: the admin token that the operator's platform uses"
    if len(token) < ADMIN_TOKEN_MIN_LENGTH:
        return f"INMAIL_ADMIN_TOKEN is too short: use at least {ADMIN_TOKEN_MIN_LENGTH} characters"
    return None
