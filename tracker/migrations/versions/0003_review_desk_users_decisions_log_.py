"""review desk: users, decisions, log, relevance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

House rules: no long locks on big tables, and every migration stays compatible
with the previous release of the code (add, backfill, then remove).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column(
            "language",
            sa.Enum("pl", "en", name="language", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "approve",
                "reject",
                "tag_add",
                "tag_remove",
                "note",
                "internal_deadline",
                "pick",
                "unpick",
                "confirm_withdrawn",
                name="reviewaction",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_review_log_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"],
            ["users.id"],
            name=op.f("fk_review_log_undone_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_log")),
    )
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_log_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_log_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("call_tags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "suppressed", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("relevance", sa.Double(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "review_state",
                sa.Enum(
                    "pending",
                    "approved",
                    "rejected",
                    name="reviewstate",
                    native_enum=False,
                    length=32,
                ),
                server_default="pending",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "needs_review",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("pick", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("internal_deadline", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "withdrawn_confirmed_at", sa.DateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_confirmed_at")
        batch_op.drop_column("internal_deadline")
        batch_op.drop_column("note")
        batch_op.drop_column("pick")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("review_state")
        batch_op.drop_column("relevance")

    with op.batch_alter_table("call_tags", schema=None) as batch_op:
        batch_op.drop_column("suppressed")

    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_review_log_call_id"))

    op.drop_table("review_log")
    op.drop_table("users")
