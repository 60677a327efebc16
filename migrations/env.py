"""Alembic environment of snorkel-ie.

Used in two ways: by :func:`snorkel_ie.db.migrate.upgrade`, which passes an open
connection in ``config.attributes['connection']``, and by the ``alembic`` command
line (``alembic -c alembic.ini upgrade head``), which connects to ``$SNORKELDB`` or
the default SQLite file.
"""

from alembic import context

from snorkel_ie.db.engine import make_engine, resolve_url
from snorkel_ie.db.migrate import include_for_dialect
from snorkel_ie.db.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_for_dialect(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():  # `alembic upgrade head --sql`: the SQL for $SNORKELDB's dialect, printed
    context.configure(url=resolve_url(context.config.get_main_option("sqlalchemy.url") or None),
                      target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
