"""Alembic environment and migration scripts of the Sora schema."""
