"""The hub's pages: ``/`` for the public (every site's queues now), ``/province`` for hub staff.
Plain HTML and JS served from the project (no CDN), like the sites' pages."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"

pages = Blueprint("hub_pages", __name__)


@pages.get("/")
def public_page():
    return send_from_directory(STATIC, "public.html", max_age=0)


@pages.get("/province")
def province_page():
    return send_from_directory(STATIC, "province.html", max_age=0)


@pages.get("/hub-static/<path:name>")
def static(name: str):
    return send_from_directory(STATIC, name, max_age=300)
