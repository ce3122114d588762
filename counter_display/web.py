"""Pages of the hall board and the desk displays."""
from __future__ import annotations


def register(app, hub) -> None:
    """Called by the application factory: add this package's routes and Socket.IO handlers."""
