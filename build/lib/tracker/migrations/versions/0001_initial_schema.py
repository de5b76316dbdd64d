"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26

House rules: no long locks on big tables, and every migration stays compatible
with the previous release of the code (add, backfill, then remove).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "language",
            sa.Enum("pl", "en", name="language", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("email", name=op.f("uq_members_email")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("funder", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("slug", name=op.f("uq_sources_slug")),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("funder", sa.String(length=200), nullable=False),
        sa.Column("programme", sa.String(length=300), nullable=True),
        sa.Column("call_identifier", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column(
            "language",
            sa.Enum("pl", "en", name="language", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("opening_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("budget_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("applicant_types", sa.JSON(), nullable=False),
        sa.Column(
            "instrument",
            sa.Enum(
                "grant",
                "cascade",
                "loan",
                "voucher",
                "prize",
                "fellowship",
                "tender",
                name="instrument",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "forthcoming",
                "open",
                "closed",
                name="callstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source_status",
            sa.Enum(
                "forthcoming",
                "open",
                "closed",
                name="callstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("programme_codes", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_calls_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("source_id", "source_key", name=op.f("uq_calls_source_id")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calls_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calls_status"), ["status"], unique=False)

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "running",
                "success",
                "failed",
                name="crawloutcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("items_scraped", sa.Integer(), nullable=False),
        sa.Column("items_new", sa.Integer(), nullable=False),
        sa.Column("items_changed", sa.Integer(), nullable=False),
        sa.Column("items_unchanged", sa.Integer(), nullable=False),
        sa.Column("items_dropped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_crawl_runs_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crawl_runs_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("call_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_digest_deliveries_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_deliveries")),
        sa.UniqueConstraint(
            "member_id", "period", name=op.f("uq_digest_deliveries_member_id")
        ),
    )
    op.create_table(
        "call_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column(
            "precision",
            sa.Enum(
                "datetime",
                "day",
                "month",
                "quarter",
                name="dateprecision",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_deadlines_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_deadlines")),
    )
    with op.batch_alter_table("call_deadlines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_deadlines_call_id"), ["call_id"], unique=False
        )

    op.create_table(
        "call_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "rule",
                "source",
                "coordinator",
                name="tagorigin",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_tags_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_tags")),
        sa.UniqueConstraint("call_id", "tag", name=op.f("uq_call_tags_call_id")),
    )
    with op.batch_alter_table("call_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_tags_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "call_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_versions_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_call_versions_crawl_run_id_crawl_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_versions")),
    )
    with op.batch_alter_table("call_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_versions_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_versions_recorded_at"), ["recorded_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("call_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_versions_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_call_versions_call_id"))

    op.drop_table("call_versions")
    with op.batch_alter_table("call_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_tags_tag"))
        batch_op.drop_index(batch_op.f("ix_call_tags_call_id"))

    op.drop_table("call_tags")
    with op.batch_alter_table("call_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_deadlines_call_id"))

    op.drop_table("call_deadlines")
    op.drop_table("digest_deliveries")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_source_id"))

    op.drop_table("crawl_runs")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_status"))
        batch_op.drop_index(batch_op.f("ix_calls_source_id"))

    op.drop_table("calls")
    op.drop_table("sources")
    op.drop_table("members")
