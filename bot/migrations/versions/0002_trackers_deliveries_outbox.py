"""tracker items, webhook deliveries, outbox; workspace state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "received",
                "processed",
                "ignored",
                "failed",
                name="deliveryoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "delivery_id"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_received_at"), ["received_at"], unique=False)

    op.create_table(
        "outboxitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("coalesce_key", sa.String(length=300), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", "dead", name="outboxstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outboxitem", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outboxitem_coalesce_key"), ["coalesce_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outboxitem_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "trackeritem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("tracker", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("parent", "control", name="itemkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("internal_id", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("parent_ref", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["controltask.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tracker", "key"),
    )
    with op.batch_alter_table("trackeritem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trackeritem_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trackeritem_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("controltask", schema=None) as batch_op:
        batch_op.drop_column("tracker_ref")
        batch_op.add_column(sa.Column("guidance", sa.Text(), nullable=False, server_default=""))

    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("config", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("problems", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("gate_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("pr_shas", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )

    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    "active",
                    "suspended",
                    "removed",
                    name="workspacestate",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="active",
            )
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("config", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_index(batch_op.f("ix_workspace_external_id"), ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_external_id"))
        batch_op.drop_column("config")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("state")

    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_column("pr_shas")
        batch_op.drop_column("gate_sha")
        batch_op.drop_column("problems")
        batch_op.drop_column("config")

    with op.batch_alter_table("controltask", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracker_ref", sa.VARCHAR(length=500), nullable=True))
        batch_op.drop_column("guidance")

    with op.batch_alter_table("trackeritem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trackeritem_task_id"))
        batch_op.drop_index(batch_op.f("ix_trackeritem_release_id"))

    op.drop_table("trackeritem")
    with op.batch_alter_table("outboxitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxitem_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_outboxitem_coalesce_key"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outboxitem")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_received_at"))

    op.drop_table("delivery")
