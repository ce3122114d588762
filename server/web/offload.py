"""Work that must not hold up the server's loop, under gevent (``hangdoi serve``): long reads and
drawings run in real threads; in tests' threaded servers they run directly.

- ``off_the_loop(fn, *args)``: a long read (a report, an export); ``fn`` gets the hub first (no
  Flask context in that thread). It runs in gevent's own threadpool: SQLite releases the GIL.
- ``draw_off_the_loop(fn, *args)``: a drawing (a ticket image with a long name) in one of
  ``RENDER_THREADS`` threads of its own, so that the storage's commits never queue behind drawings.
"""
from __future__ import annotations

from .auth import hub

RENDER_THREADS = 2
_render_pool = None


def _under_gevent(h) -> bool:
    return h.realtime is not None and h.realtime.socketio.async_mode == "gevent"


def off_the_loop(fn, *args):
    h = hub()
    if _under_gevent(h):
        import gevent

        return gevent.get_hub().threadpool.apply(fn, (h, *args))
    return fn(h, *args)


def draw_off_the_loop(fn, *args):
    global _render_pool
    if not _under_gevent(hub()):
        return fn(*args)
    from gevent.threadpool import ThreadPool

    if _render_pool is None:
        _render_pool = ThreadPool(RENDER_THREADS)
    return _render_pool.apply(fn, args)
