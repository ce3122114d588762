"""The provincial hub (issue 12, contract section 6): ``hangdoi hub``.

It receives every site's events (``ingest.py``), keeps each once per (site, sequence), builds
its own tables from them alone (``db.py``), reports on the whole province with the sites' own
report code (``server/reports``, site dimension), and shows every site live (``pages.py``).
"""
