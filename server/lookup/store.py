"""The procedure catalog in SQLite, and the search that forgives.

Any database can hold it (a site's, or the provincial hub's): run ``SCHEMA`` once (the site does
it in migration 6), ``replace_catalog(db, procedures)`` when the catalog changes, then
``search(db, q)``, ``browse(db, field)``, ``fields(db)`` and ``get(db, code)``. ``db`` is anything
with ``execute(sql, params)`` (sqlite3 or sqlite_utils); nothing here knows Flask or the config.

How the search forgives, with SQLite's FTS5 only:

* both indexes hold the *folded* text (``text.fold``: no marks, đ → d, lower case), and the query
  is folded the same way, so "ly lich tu phap" and "lý lịch tư pháp" are the same query;
* ``procedures_words`` (unicode61) answers "the words as a phrase, in the order typed" — tier 0 —
  then "every word of the query, in any order" — tier 1 — (the last word may be a prefix, for a
  query still being typed), each ranked by bm25;
* ``procedures_trigrams`` (trigram, over the folded name padded with spaces) answers the typos:
  the query's trigrams (of each word padded with spaces, so 2-letter words count too) OR'ed and
  ranked by bm25 — a word with one wrong letter still shares most of its trigrams, and the other
  words all of theirs — tier 2, kept only where a row shares at least half of the query's
  trigrams and scores within 80% of the best row (what an OR of trigrams would add besides);
* the answer is tier 1, best first, then what tier 2 adds, best first; tier 2 runs only when tier 1
  found fewer than 3 (every word of the query is a real word then, or being typed), and OR's only
  the query's trigrams that are in at most a quarter of the procedures (FTS5 then ranks a few
  hundred rows, not all), while the share counted above is of all of them.
"""
from __future__ import annotations

import hashlib
import math
import json
from typing import Any, Iterable

from .catalog import Procedure
from .text import fold, words

__all__ = ["SCHEMA", "replace_catalog", "search", "browse", "fields", "get", "count", "answer", "QueryError",
           "MAX_QUERY"]

MAX_QUERY = 200                 # characters of a query; longer ones are refused by the web layer
MAX_WORDS = 12
MAX_TRIGRAMS = 64
DEFAULT_LIMIT = 20
MIN_COVERAGE = 0.5            # share of the query's trigrams a typo match must have
RELATIVE_SCORE = 0.8          # and its bm25 at least this share of the best typo match's
TRIGRAM_CANDIDATES = 200
TIER_2_BELOW = 3              # typo matches are looked for when fewer whole-word matches were found
COMMON_SHARE = 0.25           # a trigram in more than this share of the procedures is not OR'ed

SCHEMA = """
CREATE TABLE procedures (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    agency TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    service TEXT NOT NULL,
    documents TEXT NOT NULL DEFAULT '[]',      -- a JSON list of texts
    fee TEXT NOT NULL DEFAULT '',
    processing_time TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX procedures_by_field ON procedures(field, position);
CREATE VIRTUAL TABLE procedures_words USING fts5(code, name, field, agency, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE procedures_trigrams USING fts5(name, field, tokenize = 'trigram');
CREATE VIRTUAL TABLE procedures_trigram_counts USING fts5vocab(procedures_trigrams, 'row');
CREATE TABLE procedure_catalog (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    procedures INTEGER NOT NULL,
    loaded_at REAL NOT NULL
);
"""

_COLUMNS = "p.code, p.name, p.field, p.agency, p.agency_name, p.service, p.documents, p.fee, p.processing_time"


def fingerprint(procedures: Iterable[Procedure]) -> str:
    h = hashlib.sha256()
    for p in procedures:
        h.update(json.dumps(p.as_dict(), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def replace_catalog(db, procedures: list[Procedure], now: float = 0.0) -> bool:
    """Make the stored catalog exactly ``procedures`` (in this order); False if it already was.
    Call it inside a write transaction."""
    fp = fingerprint(procedures)
    row = db.execute("SELECT fingerprint FROM procedure_catalog WHERE id = 1").fetchone()
    if row is not None and row[0] == fp:
        return False
    for table in ("procedures", "procedures_words", "procedures_trigrams"):
        db.execute(f"DELETE FROM {table}")
    for i, p in enumerate(procedures, start=1):
        db.execute("INSERT INTO procedures (id, code, name, field, agency, agency_name, service, documents, fee, "
                   "processing_time, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [i, p.code, p.name, p.field, p.agency, p.agency_name, p.service,
                    json.dumps(list(p.documents), ensure_ascii=False), p.fee, p.processing_time, i])
        db.execute("INSERT INTO procedures_words (rowid, code, name, field, agency) VALUES (?, ?, ?, ?, ?)",
                   [i, p.code.lower(), fold(p.name), fold(p.field), fold(p.agency_name)])
        db.execute("INSERT INTO procedures_trigrams (rowid, name, field) VALUES (?, ?, ?)",
                   [i, f" {fold(p.name)} ", f" {fold(p.field)} "])
    db.execute("INSERT INTO procedure_catalog (id, fingerprint, procedures, loaded_at) VALUES (1, ?, ?, ?) "
               "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, "
               "procedures = excluded.procedures, loaded_at = excluded.loaded_at", [fp, len(procedures), now])
    return True


def _row(r) -> dict[str, Any]:
    return {"code": r[0], "name": r[1], "field": r[2], "agency": r[3], "agency_name": r[4], "service": r[5],
            "documents": json.loads(r[6]), "fee": r[7], "processing_time": r[8]}


def _trigrams(query_words: list[str]) -> list[str]:
    out: list[str] = []
    for w in query_words:
        padded = f" {w} "
        for i in range(len(padded) - 2):
            tri = padded[i:i + 3]
            if tri.strip() and tri not in out:
                out.append(tri)
    return out[:MAX_TRIGRAMS]


def _selective(db, tris: list[str]) -> list[str]:
    """The query's trigrams that are in at most COMMON_SHARE of the procedures (" ca", "ap " are
    in most): OR'ing only those gives FTS5 far fewer rows to rank. All of them when none is."""
    total = db.execute("SELECT count(*) FROM procedures").fetchone()[0] or 1
    counts = dict(db.execute(f"SELECT term, doc FROM procedures_trigram_counts WHERE term IN "
                             f"({', '.join('?' * len(tris))})", tris).fetchall())
    there = [t for t in tris if counts.get(t, 0) > 0]
    rare = [t for t in there if counts[t] <= total * COMMON_SHARE]
    return rare or there or tris


def search(db, q: str, limit: int = DEFAULT_LIMIT, *, prefix: bool | None = None) -> list[dict[str, Any]]:
    """Procedures matching ``q``, best first (at most ``limit``). ``prefix``: treat the last word
    as the start of a word (default: when ``q`` does not end with a space, i.e. still being typed)."""
    qwords = [w[:40] for w in words(q[:MAX_QUERY])][:MAX_WORDS]
    if not qwords:
        return []
    if prefix is None:
        prefix = not q.endswith(" ")
    limit = max(1, min(int(limit), 100))
    terms = [f'"{w}"' for w in qwords]
    if prefix:
        terms[-1] += "*"
    ids: list[int] = []
    for match in ([" + ".join(terms)] if len(terms) > 1 else []) + [" ".join(terms)]:
        # tier 0: the words as a phrase, in the order typed; tier 1: every word, in any order
        seen = set(ids)
        ids += [r[0] for r in db.execute(
            "SELECT rowid FROM procedures_words WHERE procedures_words MATCH ? "
            "ORDER BY bm25(procedures_words, 1.0, 10.0, 2.0, 1.0) LIMIT ?", [match, limit]) if r[0] not in seen]
    ids = ids[:limit]
    if len(ids) < min(limit, TIER_2_BELOW):
        tris = _trigrams(qwords)
        if tris:
            match = " OR ".join(f'"{t}"' for t in _selective(db, tris))
            seen = set(ids)
            need = max(1, math.ceil(len(tris) * MIN_COVERAGE))
            best = None
            for rowid, name, fld, score in db.execute(
                    "SELECT rowid, name, field, bm25(procedures_trigrams, 10.0, 1.0) AS score FROM procedures_trigrams "
                    "WHERE procedures_trigrams MATCH ? ORDER BY score LIMIT ?", [match, TRIGRAM_CANDIDATES]):
                # FTS5 ranks (bm25 is negative, best first). What "OR" brings besides the near misses
                # is cut in two ways: a row must share enough of the query's trigrams, and score
                # within RELATIVE_SCORE of the best row — else "dang ky ket hon" would go on with
                # every "đăng ký ... kết quả"
                best = score if best is None else best
                if score > best * RELATIVE_SCORE:
                    break
                if rowid in seen or sum(t in name or t in fld for t in tris) < need:
                    continue
                ids.append(rowid)
                seen.add(rowid)
                if len(ids) >= limit:
                    break
    if not ids:
        return []
    order = {rowid: i for i, rowid in enumerate(ids)}
    rows = db.execute(f"SELECT p.id, {_COLUMNS} FROM procedures p WHERE p.id IN "
                      f"({', '.join('?' * len(ids))})", ids).fetchall()
    rows.sort(key=lambda r: order[r[0]])
    return [_row(r[1:]) for r in rows]


def browse(db, field: str, limit: int = 500) -> list[dict[str, Any]]:
    """The procedures of one field, in catalog order."""
    return [_row(r) for r in db.execute(
        f"SELECT {_COLUMNS} FROM procedures p WHERE p.field = ? ORDER BY p.position LIMIT ?", [field, limit])]


def fields(db) -> list[dict[str, Any]]:
    """Every field with its number of procedures, in catalog order."""
    return [{"name": r[0], "procedures": r[1]} for r in db.execute(
        "SELECT field, count(*) FROM procedures GROUP BY field ORDER BY min(position)")]


def get(db, code: str) -> dict[str, Any] | None:
    r = db.execute(f"SELECT {_COLUMNS} FROM procedures p WHERE p.code = ?", [code]).fetchone()
    return _row(r) if r else None


def count(db) -> int:
    return db.execute("SELECT count(*) FROM procedures").fetchone()[0]


# ---- one answer for the site's and the hub's routes -----------------------------------------
class QueryError(ValueError):
    """A bad ``?q=`` / ``?field=`` / ``?limit=``: ``code`` and ``message`` for a 400 answer."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


MAX_FIELD = 200


def answer(db, q: str | None, field: str | None = None, limit: str | int | None = None) -> list[dict[str, Any]]:
    """What ``GET /procedures?q=&field=&limit=`` answers, from the raw query arguments: the
    search (``q``) or one field's procedures (``field`` without ``q``); ``QueryError`` for 400.
    The site's route (server/web/lookup.py) and the hub's public route call this the same way."""
    try:
        n = DEFAULT_LIMIT if limit is None else int(limit)
    except (TypeError, ValueError):
        raise QueryError("invalid_limit", "limit must be a whole number from 1 to 100") from None
    if not 1 <= n <= 100:
        raise QueryError("invalid_limit", "limit must be a whole number from 1 to 100")
    if q is None and field is not None:
        if not field.strip() or len(field) > MAX_FIELD:
            raise QueryError("invalid_field", "give a field's name (see /procedures/fields)")
        return browse(db, field.strip())
    if q is None or not q.strip():
        raise QueryError("empty_query", "give the text to search for: ?q=... (or ?field=...)")
    if len(q) > MAX_QUERY:
        raise QueryError("query_too_long", f"the search text may have at most {MAX_QUERY} characters")
    return search(db, q, n)
