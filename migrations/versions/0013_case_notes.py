"""Case notes, contacts log, care plan sharing, and the full-text index (FTS5, inside the
encrypted database) over what staff write.

Revises: 0012_key_work
Revises: 0011_incidents (0012_key_work branches from the same revision; the lead chains them)
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_case_notes"
down_revision = "0012_key_work"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
    ]


def _correctable() -> list[sa.Column]:
    return [
        sa.Column("supersedes_id", sa.String(36), nullable=True),
        sa.Column("superseded_by_id", sa.String(36), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
    ]


def _indexes(table: str, *cols: str) -> None:
    for c in cols:
        op.create_index(op.f(f"ix_{table}_{c}"), table, [c], unique=False)


def upgrade() -> None:
    op.create_table(
        "case_notes",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("about_at", sa.DateTime(), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("for_next_shift", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(36), nullable=True),
        *_correctable(),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_case_notes_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    # No index on supersedes_id / superseded_by_id (keyworker/corrections.py says why).
    _indexes("case_notes", "resident_id", "about_at")
    # Open handover flags are found without reading every note.
    op.execute("CREATE INDEX ix_case_notes_open_flags ON case_notes (for_next_shift, acknowledged_at) "
               "WHERE for_next_shift = 1 AND acknowledged_at IS NULL AND superseded_by_id IS NULL")
    op.create_table(
        "contacts",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("party_kind", sa.String(24), nullable=False),
        sa.Column("with_name", sa.String(200), nullable=False),
        sa.Column("method", sa.String(12), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("safeguarding", sa.Boolean(), nullable=False),
        sa.Column("safeguarding_reason", sa.Text(), nullable=True),
        *_correctable(),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_contacts_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    _indexes("contacts", "resident_id", "at")
    op.create_table(
        "care_plan_shares",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("care_plan_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("party_kind", sa.String(24), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("shared_on", sa.Date(), nullable=False),
        sa.Column("outbox_item_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_care_plan_shares_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan_shares")),
    )
    _indexes("care_plan_shares", "resident_id", "care_plan_id", "version_id")
    # keyworker/note_search.py: FTS5 is compiled into the bundled sqlcipher3; the index's pages are
    # encrypted with the rest of the file. `body` is the text, `rtoken` one token naming the
    # resident (a search within one record is an AND of both); note_search_rows maps each FTS rowid
    # to its record, so a correction unindexes by key instead of scanning the index.
    op.execute("CREATE VIRTUAL TABLE note_search USING fts5(body, rtoken, tokenize = 'unicode61')")
    op.execute("CREATE TABLE note_search_rows (rowid INTEGER NOT NULL PRIMARY KEY, kind VARCHAR(12) NOT NULL, "
               "record_id VARCHAR(36) NOT NULL, resident_id VARCHAR(36) NOT NULL)")
    op.execute("CREATE UNIQUE INDEX ix_note_search_rows_record ON note_search_rows (record_id, kind)")


def downgrade() -> None:
    op.execute("DROP TABLE note_search_rows")
    op.execute("DROP TABLE note_search")
    op.drop_table("care_plan_shares")
    op.drop_table("contacts")
    op.drop_table("case_notes")
