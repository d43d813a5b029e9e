"""Service settings from `CONTROLBOT_*` environment variables and `.env`; secrets are SecretStr."""

from __future__ import annotations

from functools import lru_cache

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
