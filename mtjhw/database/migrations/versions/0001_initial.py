"""The first schema: runs, their instruments, summary values and data files.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("procedure", sa.String(64), nullable=False, index=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("bench", sa.String(200)),
        sa.Column("bench_file", sa.Text()),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.BigInteger()),
        sa.Column("wafer", sa.String(64), index=True),
        sa.Column("die", sa.String(64), index=True),
        sa.Column("column", sa.Integer()),
        sa.Column("row", sa.Integer()),
        sa.Column("crosspoint", sa.String(64)),
        sa.Column("label", sa.String(200)),
        sa.Column("device_extra", sa.JSON(), nullable=False),
        sa.Column("software", sa.JSON(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), index=True),
        sa.Column("ended", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("out_dir", sa.Text()),
        sa.Column("campaign", sa.String(200), index=True),
    )
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("driver", sa.String(64), nullable=False),
        sa.Column("idn", sa.Text(), nullable=False),
        sa.Column("firmware", sa.String(200), nullable=False),
        sa.UniqueConstraint("run_id", "role"),
    )
    op.create_table(
        "summary_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("error", sa.Float()),
        sa.Column("unit", sa.String(32)),
        sa.Column("text", sa.Text()),
        sa.UniqueConstraint("run_id", "key"),
        sa.Index("ix_summary_values_key_value", "key", "value"),
    )
    op.create_table(
        "data_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("run_id", "path"),
    )


def downgrade() -> None:
    for table in ("data_files", "summary_values", "instruments", "runs"):
        op.drop_table(table)
