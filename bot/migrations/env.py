"""Alembic environment: migrate the engine handed over in `config.attributes["engine"]`."""

from alembic import context
from sqlmodel import SQLModel

import workflows.access
import workflows.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata
# Tables other libraries own in our database; autogenerate must neither drop nor model them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})  # bot.scheduler's APScheduler job store


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave foreign tables out of autogenerate's comparison."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def run_migrations_online() -> None:
    """Run migrations on a connection from the engine the caller passed in."""
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # NOTE: batch mode rebuilds tables; with foreign keys on, dropping a parent fails.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
