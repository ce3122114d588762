"""SQLite storage: connections, schema migrations and the sync of the config into the database."""
from .db import Storage, StorageError, SchemaTooNew
from .settings import get_setting, put_setting

__all__ = ["Storage", "StorageError", "SchemaTooNew", "get_setting", "put_setting"]
