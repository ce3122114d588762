"""SQLite storage: connections, schema migrations and the sync of the config into the database."""
from .db import Storage, StorageError, SchemaTooNew

__all__ = ["Storage", "StorageError", "SchemaTooNew"]
