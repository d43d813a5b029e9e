"""The GitHub App's credentials: environment settings first, else the file the setup flow wrote.

The file is JSON, created 0600 and never overwritten. Nothing here prints a key or a secret: every
error names the file, never its content.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings

log = logging.getLogger(__name__)

FILE_VERSION = 1
_STRING_FIELDS = ("slug", "private_key_pem", "webhook_secret", "client_id", "client_secret")


class CredentialsError(Exception):
    """Root of the credential errors; messages name files and fields, never secrets."""


class AlreadyConfigured(CredentialsError):
    """The credentials file exists: the App was already set up."""


class CredentialsFileError(CredentialsError):
    """The credentials file cannot be read or is not what the setup flow writes."""


@dataclass(frozen=True)
class GitHubAppConfig:
    """Everything needed to act as the GitHub App; `repr` hides the key and the secrets."""

    app_id: int
    slug: str
    private_key_pem: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    client_id: str | None
    client_secret: str | None = field(repr=False)
    api_url: str


def save_credentials(path: Path, creds: GitHubAppConfig) -> None:
    """Write `creds` to `path` as JSON, 0600 from creation; refuse to replace an existing file.

    The content goes to a temporary file in the same directory which is then hard-linked to
    `path`: unlike a rename, a link never replaces an existing file, so two racing setups cannot
    overwrite each other, and readers never see a half-written file.
    """
    if path.exists():
        raise AlreadyConfigured(f"{path} already exists: the GitHub App was already set up")
    data = {
        "version": FILE_VERSION,
        "app_id": creds.app_id,
        "slug": creds.slug,
        "api_url": creds.api_url,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "webhook_secret": creds.webhook_secret,
        "private_key_pem": creds.private_key_pem,
    }
    body = json.dumps(data, indent=2).encode("utf-8") + b"\n"
    directory = path.parent
    tmp = directory / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise AlreadyConfigured(
                f"{path} already exists: the GitHub App was already set up"
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    """Make the new directory entry durable (best effort; not every platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_credentials_file(path: Path) -> dict[str, Any]:
    """The file's fields, checked; `{}` when it does not exist; CredentialsFileError if bad."""
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CredentialsFileError(
            f"cannot read the GitHub App credentials file {path}: {exc.strerror or 'error'}"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s is readable by other users: run chmod 600 on it", path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CredentialsFileError(f"{path} is not UTF-8 text: {_fix_hint(path)}") from None
    except json.JSONDecodeError as exc:
        raise CredentialsFileError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {_fix_hint(path)}"
        ) from None
    if not isinstance(data, dict):
        raise CredentialsFileError(f"{path} does not hold a JSON object: {_fix_hint(path)}")
    return _checked(path, data)


def _checked(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Check each known field's type; report the field's name, never its value."""
    app_id = data.get("app_id")
    if app_id is not None and (isinstance(app_id, bool) or not isinstance(app_id, int)):
        raise CredentialsFileError(f"{path}: field 'app_id' must be an integer")
    for name in (*_STRING_FIELDS, "api_url"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise CredentialsFileError(f"{path}: field {name!r} must be a string")
    return {key: value for key, value in data.items() if value not in (None, "")}


def _fix_hint(path: Path) -> str:
    """What to do about a damaged file."""
    return f"restore it, or move it away and run the setup again at /setup ({path.name})"


class _Sources:
    """The settings, with the credentials file read at most once and only when needed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._file: dict[str, Any] | None = None

    def file(self, name: str) -> Any:
        """One field from the credentials file, or None."""
        if self._file is None:
            self._file = load_credentials_file(self.settings.github_credentials_file)
        return self._file.get(name)

    def explicit(self, name: str) -> bool:
        """Whether a setting with a default was set explicitly (environment, .env, argument)."""
        return name in self.settings.model_fields_set

    def secret(self, env: str | None, name: str) -> str | None:
        """The environment's value, else the file's."""
        return env if env else self.file(name)


def github_app_config(settings: Settings) -> GitHubAppConfig | None:
    """The App's configuration, env settings first, else the credentials file; None if unset."""
    src = _Sources(settings)
    try:
        env_key = settings.github_private_key_pem()
    except OSError as exc:
        raise CredentialsFileError(
            f"cannot read the GitHub App private key {settings.github_private_key_path}: "
            f"{exc.strerror or 'error'}"
        ) from None
    app_id = settings.github_app_id if settings.github_app_id is not None else src.file("app_id")
    key = src.secret(env_key, "private_key_pem")
    if app_id is None or not key:
        return None
    file_id = src.file("app_id") if settings.github_app_id is not None and not env_key else None
    if file_id is not None and file_id != app_id:
        log.warning(
            "CONTROLBOT_GITHUB_APP_ID is %s but %s is for App %s: the key may not match",
            app_id,
            settings.github_credentials_file,
            file_id,
        )
    slug = settings.github_app_slug
    if not src.explicit("github_app_slug"):
        slug = src.file("slug") or slug
    api_url = settings.github_api_url
    if not src.explicit("github_api_url"):
        api_url = src.file("api_url") or api_url
    return GitHubAppConfig(
        app_id=int(app_id),
        slug=slug,
        private_key_pem=key,
        webhook_secret=src.secret(_plain(settings.github_webhook_secret), "webhook_secret"),
        client_id=src.secret(settings.github_client_id, "client_id"),
        client_secret=src.secret(_plain(settings.github_client_secret), "client_secret"),
        api_url=api_url,
    )


def webhook_secret(settings: Settings) -> str | None:
    """The webhook secret: CONTROLBOT_GITHUB_WEBHOOK_SECRET, else the credentials file's."""
    return _Sources(settings).secret(_plain(settings.github_webhook_secret), "webhook_secret")


def _plain(secret: SecretStr | None) -> str | None:
    """A SecretStr's value, or None."""
    return None if secret is None else secret.get_secret_value()
