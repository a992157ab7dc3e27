"""Settings from the environment (and a `.env` file), named as Azure Bot Service names them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.graph import GraphSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/sdbot.db"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; quotes around a value stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    tenant_id: str = ""
    dev: bool = False
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    directory: str = ""
    profile: str = ""
    timezone: str = "Europe/London"
    # Not in the contract's table: operational knobs with safe defaults.
    max_body_bytes: int = 256 * 1024
    outbox_lease_seconds: float = 30.0
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 12
    outbox_backoff_base: float = 1.0
    outbox_retention_days: float = 30.0  # delivered rows (without a message key) kept this long
    scheduler_poll_seconds: float = 30.0
    run_worker: bool = True
    run_scheduler: bool = True
    service_url: str = ""  # where proactive messages go before any activity has told us
    # Hardening: a slow body is cut off (408); token checks and the metadata fetch are bounded.
    body_timeout_seconds: float = 5.0
    auth_timeout_seconds: float = 5.0
    openid_metadata_url: str = ""  # empty: the Bot Framework's public cloud metadata
    login_url: str = ""  # where the bot gets its own tokens; empty: Microsoft's public cloud
    bot_oauth_scope: str = ""  # the audience of those tokens; empty: https://api.botframework.com
    ca_file: str = ""  # an extra CA to trust for the above (a private PKI)
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    def graph(self) -> GraphSettings:
        """Graph's settings from the same sources (environment and `.env`): one loader."""
        from bot.graph import GraphSettings

        # Settings built by hand (tests, embedding) have no `extra`: the process environment then.
        return GraphSettings.from_env(self.extra or dict(os.environ))

    def problems(self) -> list[str]:
        """Why `sdbot serve` must not start with these settings (empty when fine)."""
        if not self.app_id and not self.dev:
            return [
                "MicrosoftAppId is not set. Without it the bot authenticates nobody, so it "
                "only runs in development mode: set SDBOT_DEV=1 for local use, or set "
                "MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId for Teams."
            ]
        return []


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    merged: dict[str, str] = {}
    if dotenv is not None:
        merged.update(read_dotenv(dotenv))
    merged.update(os.environ if env is None else env)
    get = merged.get
    return Settings(
        app_id=get("MicrosoftAppId", "") or "",
        app_password=get("MicrosoftAppPassword", "") or "",
        app_type=get("MicrosoftAppType", "") or "MultiTenant",
        tenant_id=get("MicrosoftAppTenantId", "") or "",
        dev=_bool(get("SDBOT_DEV")),
        host=get("SDBOT_HOST") or "127.0.0.1",
        port=int(get("SDBOT_PORT") or 3978),
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        directory=get("SDBOT_DIRECTORY") or "",
        profile=get("SDBOT_PROFILE") or "",
        timezone=get("SDBOT_TIMEZONE") or "Europe/London",
        max_body_bytes=int(get("SDBOT_MAX_BODY_BYTES") or 256 * 1024),
        outbox_lease_seconds=float(get("SDBOT_OUTBOX_LEASE_SECONDS") or 30),
        outbox_poll_seconds=float(get("SDBOT_OUTBOX_POLL_SECONDS") or 1),
        outbox_max_attempts=int(get("SDBOT_OUTBOX_MAX_ATTEMPTS") or 12),
        outbox_backoff_base=float(get("SDBOT_OUTBOX_BACKOFF_BASE") or 1.0),
        outbox_retention_days=float(get("SDBOT_OUTBOX_RETENTION_DAYS") or 30.0),
        scheduler_poll_seconds=float(get("SDBOT_SCHEDULER_POLL_SECONDS") or 30),
        run_worker=_bool(get("SDBOT_RUN_WORKER"), True),
        run_scheduler=_bool(get("SDBOT_RUN_SCHEDULER"), True),
        service_url=get("SDBOT_SERVICE_URL") or "",
        body_timeout_seconds=float(get("SDBOT_BODY_TIMEOUT_SECONDS") or 5),
        auth_timeout_seconds=float(get("SDBOT_AUTH_TIMEOUT_SECONDS") or 5),
        openid_metadata_url=get("SDBOT_OPENID_METADATA_URL") or "",
        login_url=get("SDBOT_LOGIN_URL") or "",
        bot_oauth_scope=get("SDBOT_BOT_OAUTH_SCOPE") or "",
        ca_file=get("SDBOT_CA_FILE") or "",
        extra=dict(merged),
    )
