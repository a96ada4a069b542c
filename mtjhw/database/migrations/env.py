"""Alembic environment: migrates the connection :func:`mtjhw.database.store.upgrade` hands over."""

from alembic import context

from mtjhw.database.models import Base

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":  # one process migrates at a time; the others then find it done
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(1684366446)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
