"""index tracker items by kind and release: the portfolio's parent links without a full scan

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_trackeritem_kind_release", "trackeritem", ["kind", "release_id"])


def downgrade() -> None:
    op.drop_index("ix_trackeritem_kind_release", table_name="trackeritem")
