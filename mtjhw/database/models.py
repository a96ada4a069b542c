"""The database schema (SQLAlchemy 2 ORM): runs, the instruments each used, their summary values and data files.

Summary values are rows (key, value, error, unit) so that queries filter on them in SQL; a value's error is the
summary's ``<key>_err``. Device identity fields that campaigns query (wafer, die, column, row, crosspoint,
label) are columns, any other identity field goes into ``device_extra`` (JSON, portable between SQLite and
PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Device identity fields stored as columns of ``runs`` (the rest of a device mapping goes into JSON).
DEVICE_COLUMNS = ("wafer", "die", "column", "row", "crosspoint", "label")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Run(Base):
    """One run of a procedure: what ran where, when, how it ended."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    procedure: Mapped[str] = mapped_column(String(64), index=True)
    parameters: Mapped[dict[str, Any]]
    bench: Mapped[str | None] = mapped_column(String(200))
    bench_file: Mapped[str | None] = mapped_column(Text)
    simulated: Mapped[bool]
    seed: Mapped[int | None] = mapped_column(BigInteger)
    wafer: Mapped[str | None] = mapped_column(String(64), index=True)
    die: Mapped[str | None] = mapped_column(String(64), index=True)
    column: Mapped[int | None]
    row: Mapped[int | None]
    crosspoint: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    device_extra: Mapped[dict[str, Any]]
    software: Mapped[dict[str, Any]]
    started: Mapped[datetime | None] = mapped_column(index=True)
    ended: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    points: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    out_dir: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(String(200), index=True)

    instruments: Mapped[list[Instrument]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                         order_by="Instrument.role")
    values: Mapped[list[SummaryValue]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                      order_by="SummaryValue.id")
    files: Mapped[list[DataFile]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                 order_by="DataFile.path")


class Instrument(Base):
    """An instrument a run used: its role, driver and the identity it reported (``*IDN?``)."""

    __tablename__ = "instruments"
    __table_args__ = (UniqueConstraint("run_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    driver: Mapped[str] = mapped_column(String(64))
    idn: Mapped[str] = mapped_column(Text)
    firmware: Mapped[str] = mapped_column(String(200))

    run: Mapped[Run] = relationship(back_populates="instruments")


class SummaryValue(Base):
    """One summary value of a run: a number (``value`` ± ``error``, in ``unit``) or, for a non-numeric entry,
    ``text``."""

    __tablename__ = "summary_values"
    __table_args__ = (UniqueConstraint("run_id", "key"), Index("ix_summary_values_key_value", "key", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    error: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)

    run: Mapped[Run] = relationship(back_populates="values")


class DataFile(Base):
    """A file of a run's directory with its SHA-256 checksum and size (bytes) when recorded."""

    __tablename__ = "data_files"
    __table_args__ = (UniqueConstraint("run_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)

    run: Mapped[Run] = relationship(back_populates="files")
