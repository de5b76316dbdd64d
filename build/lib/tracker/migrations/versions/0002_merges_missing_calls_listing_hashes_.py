"""merges, missing calls, listing hashes, alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

House rules: no long locks on big tables, and every migration stays compatible
with the previous release of the code (add, backfill, then remove).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "catch_all", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "no_calls",
                "drop",
                "validation",
                "stale",
                "failed",
                name="alertkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_alerts_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alerts_source_id"), ["source_id"], unique=False
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "opening_precision",
                sa.Enum(
                    "datetime",
                    "day",
                    "month",
                    "quarter",
                    name="dateprecision",
                    native_enum=False,
                    length=32,
                ),
                server_default="day",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("listing_hash", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merge_reason", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_calls_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_calls_merged_into_id_calls"),
            "calls",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("catch_all")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_calls_merged_into_id_calls"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_calls_merged_into_id"))
        batch_op.drop_column("merge_reason")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("missing_since")
        batch_op.drop_column("listing_hash")
        batch_op.drop_column("opening_precision")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_source_id"))

    op.drop_table("alerts")
