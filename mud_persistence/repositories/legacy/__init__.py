"""Importing a database of the old layer (the MythosMUD SQLAlchemy schema) into this one."""
