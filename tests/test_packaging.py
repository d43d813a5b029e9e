"""The installed `controlbot` script, run as a separate process the way `make run` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from typer.main import get_command

from bot.cli import app
from tests.fakes.serving import free_port

SCRIPT = str(Path(sys.executable).parent / "controlbot")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _groups() -> dict[str, list[str]]:
    """Each top-level command and its subcommands, as the CLI registers them."""
    root = get_command(app)
    return {
        name: sorted(getattr(command, "commands", {}))
        for name, command in root.commands.items()  # type: ignore[attr-defined]
    }


def test_help_lists_every_command() -> None:
    groups = _groups()
    assert {"catalog", "release", "task", "db", "serve"} <= set(groups)
    assert {"plan", "create", "status", "list"} <= set(groups["release"])
    top = _run("--help").stdout
    for name, subcommands in groups.items():
        assert name in top
        if subcommands:
            listed = _run(name, "--help").stdout
            assert all(sub in listed for sub in subcommands), (name, subcommands)


def test_errors_from_the_script_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run("catalog", "validate", str(tmp_path / "absent.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'absent.yaml'}: No such file or directory"


def test_serve_answers_healthz_and_readyz(tmp_path: Path) -> None:
    env = {"CONTROLBOT_DATABASE_URL": f"sqlite:///{tmp_path}/run.db"}
    assert _run("db", "upgrade", env=env).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health = _get_json(f"http://127.0.0.1:{port}/healthz")
        ready = _get_json(f"http://127.0.0.1:{port}/readyz")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert health == {"status": "ok"}
    assert ready["status"] == "ready"


def _get_json(url: str) -> dict[str, str]:
    """GET a JSON answer, retrying while the server starts (up to 15 s)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.loads(answer.read())  # type: ignore[no-any-return]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_manifest_has_the_required_fields() -> None:
    manifest = yaml.safe_load(Path("app.yml").read_text())
    assert {"name", "url", "hook_attributes", "redirect_url", "default_permissions"} <= set(
        manifest
    )
    assert manifest["public"] is False
    assert manifest["default_permissions"]["issues"] == "write"
