"""Lookup (issue 14, contract section 8): the procedure catalog and its forgiving search, dossier
codes, and the rating settings. Flask-free: the site's web layer (``server/web/lookup.py``) and
the provincial hub call the same functions on their own databases.

    from server.lookup import read_catalog, store
    procedures, problems = read_catalog("procedures.json", services={"STP-LLTP": ("STP", "Sở Tư pháp")})
    store.replace_catalog(db, procedures)          # inside a write transaction, after store.SCHEMA
    store.search(db, "ly lich tu phap")            # best first
"""
from . import store
from .catalog import CatalogError, Procedure, parse_entries, read_catalog
from .dossiers import DEFAULT_DOSSIER_PATTERN, DossierPattern
from .text import fold, words

__all__ = ["store", "read_catalog", "parse_entries", "Procedure", "CatalogError", "fold", "words",
           "DEFAULT_DOSSIER_PATTERN", "DossierPattern"]
