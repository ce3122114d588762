"""Pages of the entrance kiosk and the visitor's phone, and the print agent's side of Socket.IO."""
from __future__ import annotations


def register(app, hub) -> None:
    """Called by the application factory: add this package's routes and Socket.IO handlers."""
