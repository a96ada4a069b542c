"""The measurement database: every run with its device, instruments, software, summary values and data files.

``Database()`` opens :func:`default_url` (``$MTJHW_DATABASE``, else a SQLite file in the user's data folder), or
any SQLAlchemy URL (``postgresql+psycopg://host/db`` for a lab-wide one); the schema is migrated on open.
"""

from .filters import FilterError
from .record import RunRecord, RunRow, run_record
from .store import Database, default_url

__all__ = ["Database", "FilterError", "RunRecord", "RunRow", "default_url", "run_record"]
