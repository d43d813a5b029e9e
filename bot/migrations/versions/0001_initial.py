"""initial schema: workspace, release, control task, status change

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("local", "github", "jira", name="workspacekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "name"),
    )
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("catalog_ref", sa.String(length=255), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "closed", name="releasestate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "slug"),
    )
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "controltask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("control_id", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column(
            "function",
            sa.Enum(
                "govern", "map", "measure", "manage", name="function", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("high", "standard", name="priority", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "per_release",
                "organizational",
                "recurring",
                "event",
                name="kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "todo",
                "in_progress",
                "blocked",
                "done",
                "not_applicable",
                name="controlstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("tracker_ref", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("release_id", "control_id"),
    )
    with op.batch_alter_table("controltask", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_controltask_release_id"), ["release_id"], unique=False)
        batch_op.create_index("ix_controltask_status_due", ["status", "due_date"], unique=False)

    op.create_table(
        "statuschange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "todo",
                "in_progress",
                "blocked",
                "done",
                "not_applicable",
                name="controlstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "todo",
                "in_progress",
                "blocked",
                "done",
                "not_applicable",
                name="controlstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "cli",
                "api",
                "webhook",
                "command",
                "scheduler",
                name="changesource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["controltask.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statuschange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statuschange_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_statuschange_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statuschange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statuschange_task_id"))
        batch_op.drop_index(batch_op.f("ix_statuschange_at"))

    op.drop_table("statuschange")
    with op.batch_alter_table("controltask", schema=None) as batch_op:
        batch_op.drop_index("ix_controltask_status_due")
        batch_op.drop_index(batch_op.f("ix_controltask_release_id"))

    op.drop_table("controltask")
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_workspace_id"))

    op.drop_table("release")
    op.drop_table("workspace")
