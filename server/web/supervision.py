"""Supervision: the supervisor's page, satisfaction ratings, reports and user administration."""
from __future__ import annotations


def register(app, hub) -> None:
    """Called by the application factory: add the supervision routes."""
