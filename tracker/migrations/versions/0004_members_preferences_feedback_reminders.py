"""members' preferences, feedback, reminders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

House rules: no long locks on big tables, and every migration stays compatible
with the previous release of the code (add, backfill, then remove).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "member_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("not_relevant", name="feedbackkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_member_feedback_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_feedback_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_feedback")),
        sa.UniqueConstraint(
            "member_id", "call_id", "kind", name=op.f("uq_member_feedback_member_id")
        ),
    )
    with op.batch_alter_table("member_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_feedback_call_id"), ["call_id"], unique=False
        )

    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "uncertain",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_reminder_deliveries_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reminder_deliveries_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_deliveries")),
        sa.UniqueConstraint(
            "member_id",
            "call_id",
            "deadline_at",
            "offset_days",
            name=op.f("uq_reminder_deliveries_member_id"),
        ),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organisation", sa.String(length=300), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "applicant_type",
                sa.Enum(
                    "university",
                    "research_institute",
                    "sme",
                    "large_company",
                    "ngo",
                    "public_body",
                    "individual_researcher",
                    "consortium",
                    name="applicanttype",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("region", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "frequency",
                sa.Enum(
                    "weekly", "off", name="frequency", native_enum=False, length=32
                ),
                server_default="weekly",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "reminder_offsets", sa.JSON(), server_default="[14, 3]", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("flag_reason", sa.Text(), nullable=True))
    # The default only backfilled existing members; new rows get it from the code
    # (PostgreSQL cannot compare JSON defaults, so none stays in the schema).
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("reminder_offsets", server_default=None)


def downgrade() -> None:

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("flag_reason")
        batch_op.drop_column("flagged_at")
        batch_op.drop_column("unsubscribed_at")
        batch_op.drop_column("token_version")
        batch_op.drop_column("reminder_offsets")
        batch_op.drop_column("frequency")
        batch_op.drop_column("region")
        batch_op.drop_column("applicant_type")
        batch_op.drop_column("organisation")

    op.drop_table("reminder_deliveries")
    with op.batch_alter_table("member_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_feedback_call_id"))

    op.drop_table("member_feedback")
