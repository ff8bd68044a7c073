"""The database: `get_db()` for the lazily made engine/sessions, `models` for the tables.

Importing this package imports SQLAlchemy but connects to nothing.
"""

from lib.db.engine import Database, get_db, make_database, reset_db

__all__ = ["Database", "get_db", "make_database", "reset_db"]
