"""The measurement database: every run with its device, instruments, software, summary values and data files.

``Database()`` opens :func:`default_url` (``$MTJHW_DATABASE``, else a SQLite file in the user's data folder), or
any SQLAlchemy URL (``postgresql+psycopg://host/db`` for a lab-wide one); the schema is migrated on open.
The names are imported on first use, so that ``mtjhw --help`` (which builds ``mtjhw db``'s options from
:mod:`mtjhw.database.cli`) does not import SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"Database": "store", "default_url": "store", "FilterError": "filters", "RunRecord": "record",
          "RunRow": "record", "run_record": "record"}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
