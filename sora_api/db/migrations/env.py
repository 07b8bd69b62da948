"""Alembic environment: runs migrations on the engine Sora hands over."""

from alembic import context

from sora_api.db import models


def run_migrations_online():
    engine = context.config.attributes['engine']
    # A writer, so on SQLite it queues for the write lock like any other.
    with engine.connect().execution_options(sora_writer=True) as connection:
        context.configure(connection=connection,
                          target_metadata=models.Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
