"""Service settings from `CONTROLBOT_*` environment variables and `.env`; secrets are SecretStr."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./controlbot.db"


class Settings(BaseSettings):
    """Everything the service can be configured with; read once, passed explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="CONTROLBOT_", env_file=".env", extra="ignore", frozen=True
    )

    # SecretStr: a URL may carry a password, so it is never printed whole.
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    catalog: str = Field(default="gpai-profile@1.2", description="bundled ref or a file path")
    log_level: str = "INFO"
    public_url: str = "http://127.0.0.1:8000"
    max_webhook_bytes: int = 25 * 1024 * 1024
    worker_interval: float = Field(default=2.0, description="seconds between outbox drains")
    run_worker: bool = Field(default=True, description="run the job scheduler inside `serve`")
    leader_retry_seconds: float = Field(
        default=15.0, gt=0, description="seconds between scheduler leadership checks and tries"
    )
    jira_reconcile_minutes: float = Field(
        default=10.0, gt=0, description="minutes between Jira reconciles (missed webhooks)"
    )
    remind_minutes: float = Field(
        default=60.0, gt=0, description="minutes between reminder sweeps (claims make repeats safe)"
    )
    api_token: SecretStr | None = None

    github_app_id: int | None = None
    github_app_slug: str = "controlbot"
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_webhook_secret: SecretStr | None = None
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_write_interval: float = Field(default=1.0, description="seconds between writes")
    github_hourly_write_budget: int = 400
    github_credentials_file: Path = Path("controlbot-github-app.json")

    jira_url: str | None = Field(
        default=None, description="the Jira site, e.g. https://x.atlassian.net"
    )
    jira_email: str | None = Field(default=None, description="Cloud: the account's email")
    jira_api_token: SecretStr | None = Field(default=None, description="Cloud: an API token")
    jira_pat: SecretStr | None = Field(default=None, description="Data Center: a personal token")
    jira_webhook_secret: SecretStr | None = None
    jira_timeout: float = Field(default=30.0, description="seconds per Jira request")
    jira_max_retries: int = Field(default=3, description="retries of a 429/503 or lost connection")

    def github_private_key_pem(self) -> str | None:
        """The App's private key: the PEM text, or the file it names; None when unset."""
        if self.github_private_key is not None:
            return self.github_private_key.get_secret_value()
        if self.github_private_key_path is not None:
            return self.github_private_key_path.read_text(encoding="utf-8")
        return None

    def database_url_safe(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        return safe_url(self.database_url.get_secret_value())


def safe_url(url: str) -> str:
    """Render a SQLAlchemy URL with its password hidden; unparseable URLs are hidden whole."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use (never at import)."""
    return Settings()
