"""Alembic migrations of the measurement database, run by :func:`mtjhw.database.store.upgrade`."""
