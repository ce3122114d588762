"""``hangdoi simulate``: a day of a center replayed against a real server, faster than real time.

- ``profile``: when visitors come, what for, how long each service takes (plain data, seeded);
- ``driver``: visitors and officers as a discrete-event schedule carried out over HTTP;
- ``clients``: the HTTP client, hall/desk displays and phones as real Socket.IO clients;
- ``harness``: the temporary center, ``hangdoi serve``, ``hangdoi user add``, print agents, /proc;
- ``stats`` and ``report``: percentiles, the estimate's error, the report.
"""
from .driver import Options
from .harness import ExtraDesks, SimError
from .report import render
from .run import Setup, run_simulation

__all__ = ["ExtraDesks", "Options", "Setup", "SimError", "render", "run_simulation"]
