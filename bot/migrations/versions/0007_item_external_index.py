"""index tracker items by tracker and external id: every webhook delivery looks its item up so

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_trackeritem_tracker_external", "trackeritem", ["tracker", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_trackeritem_tracker_external", table_name="trackeritem")
