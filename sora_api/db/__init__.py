"""Database layer: models, engine and session handling, queries, migrations."""
