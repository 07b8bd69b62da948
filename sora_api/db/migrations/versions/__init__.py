"""Alembic revisions, applied in order by ``sora-manage db sync``."""
