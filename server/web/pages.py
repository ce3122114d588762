"""Staff pages: the officer's desk console (and later the supervisor's page)."""
from __future__ import annotations


def register(app, hub) -> None:
    """Called by the application factory: add the staff pages."""
