"""The web layer: Flask application factory, HTTP API, pages and realtime pushes."""
