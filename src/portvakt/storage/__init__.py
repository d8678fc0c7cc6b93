"""Storage adapters: SQLAlchemy tables and repositories, Alembic migrations, replay cache."""
