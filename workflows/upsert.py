"""Portable INSERT ... ON CONFLICT for SQLite and PostgreSQL (both speak the same clause)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_for(session: Session, table: Any) -> Any:
    """A dialect INSERT construct that offers `on_conflict_do_nothing/do_update`."""
    bind = session.get_bind()
    module = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(table)
