"""Side-by-side benchmark of the facade against raw asyncpg, SQLAlchemy and the legacy layer."""
