"""Persistence: SQLite (WAL) for history, presets and jobs; result files stored by content hash.

Why this shape:

* **SQLite in WAL mode** survives a crash or ``kill -9`` without losing committed rows, lets the
  page read while a worker writes, and needs nothing installed. Every statement uses ``?``
  parameters; values never become SQL text.
* **Content addressing** (``blobs/ab/<sha256>``): the same result stored twice is one file, a
  file name can never be chosen by a client, and a reference is valid exactly as long as the
  bytes exist. Blobs are written atomically before the row that points at them, so a row never
  names a missing file.
* **Retention** by count: the oldest history entries and finished jobs go first; a blob is
  deleted once no history entry, job or preset refers to it.

One connection guarded by a lock: the statements are tiny, and a single writer is what SQLite
wants anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
#: Preset names: letters of any script, digits, space, _ . - (no separators, no leading dot).
PRESET_RE = re.compile(r"^(?!\.)[\w .\-]{1,64}$")
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, mime TEXT NOT NULL, size INTEGER NOT NULL,
                                  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS history (id TEXT PRIMARY KEY, created REAL NOT NULL, kind TEXT NOT NULL,
                                    params TEXT NOT NULL, result_sha TEXT NOT NULL, source_sha TEXT);
CREATE INDEX IF NOT EXISTS history_created ON history(created);
CREATE TABLE IF NOT EXISTS presets (name TEXT PRIMARY KEY, params TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
                                 params TEXT NOT NULL, inputs TEXT NOT NULL, progress REAL NOT NULL,
                                 message TEXT NOT NULL, results TEXT NOT NULL, error TEXT,
                                 created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created);
"""

JOB_STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: str
    params: dict[str, Any]
    inputs: list[str]
    """Blob hashes of the uploaded inputs (kept until the job is deleted)."""
    progress: float
    message: str
    results: dict[str, str]
    """Result label → blob hash (e.g. ``{"strip": sha, "gif": sha}``)."""
    error: str | None
    created: float
    updated: float

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error": self.error,
            "results": {k: f"/api/v1/files/{v}" for k, v in self.results.items()},
            "style": self.params.get("style"),  # a learn job's new style; the style a story/video used
            "created": self.created,
            "updated": self.updated,
        }


#: The type raw job inputs are stored under; never served back (``GET /files`` answers 404).
INPUT_MIME = "application/octet-stream"


def check_sha(sha: str) -> str:
    if not SHA_RE.match(sha):
        raise InputError("not a file id (64 lowercase hex digits expected)")
    return sha


def check_preset_name(name: str) -> str:
    name = name.strip()
    if not PRESET_RE.match(name):
        raise InputError("preset names are 1-64 letters, digits, spaces, _ . - (no slashes, no leading dot)")
    return name


class Store:
    """The service's persistent state under ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir)
        self.blob_dir = self.dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.dir / "huafeng.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _q(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------------------ blobs

    def blob_path(self, sha: str) -> Path:
        check_sha(sha)
        return self.blob_dir / sha[:2] / sha

    def put_blob(self, data: bytes, mime: str) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha)
        if not path.exists():
            atomic_write_bytes(path, data)
        self._q(
            # refreshing ``created`` protects a re-stored blob from a GC running before its row exists
            "INSERT INTO blobs(sha, mime, size, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(sha) DO UPDATE SET created = excluded.created",
            (sha, mime, len(data), time.time()),
        )
        return sha

    def blob(self, sha: str) -> tuple[Path, str] | None:
        rows = self._q("SELECT mime FROM blobs WHERE sha = ?", (check_sha(sha),))
        path = self.blob_path(sha)
        if not rows or not path.exists():
            return None
        return path, str(rows[0]["mime"])

    def _gc_blobs(self, grace_s: float = 120.0) -> int:
        """Delete blobs nothing refers to; returns how many.

        Blobs younger than ``grace_s`` are kept: a worker stores its result a moment before it
        inserts the history row naming it, and a concurrent GC must not fall into that gap.
        """
        used: set[str] = set()
        for r in self._q("SELECT result_sha, source_sha FROM history"):
            used.update(v for v in (r["result_sha"], r["source_sha"]) if v)
        for r in self._q("SELECT inputs, results FROM jobs"):
            used.update(json.loads(r["inputs"]))
            used.update(json.loads(r["results"]).values())
        old = self._q("SELECT sha FROM blobs WHERE created < ?", (time.time() - grace_s,))
        gone = [str(r["sha"]) for r in old if r["sha"] not in used]
        for sha in gone:
            self.blob_path(sha).unlink(missing_ok=True)
            self._q("DELETE FROM blobs WHERE sha = ?", (sha,))
        return len(gone)

    # ---------------------------------------------------------------------------- history

    def add_history(
        self, kind: str, params: dict[str, Any], result_sha: str, source_sha: str | None, keep: int
    ) -> str:
        hid = uuid.uuid4().hex
        self._q(
            "INSERT INTO history(id, created, kind, params, result_sha, source_sha) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (hid, time.time(), kind, json.dumps(params), result_sha, source_sha),
        )
        self.enforce_retention(keep_history=keep)
        return hid

    def history(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._q("SELECT * FROM history ORDER BY created DESC LIMIT ? OFFSET ?", (limit, offset))
        return [
            {
                "id": r["id"],
                "created": r["created"],
                "kind": r["kind"],
                "params": json.loads(r["params"]),
                "result": f"/api/v1/files/{r['result_sha']}",
                "source": f"/api/v1/files/{r['source_sha']}" if r["source_sha"] else None,
            }
            for r in rows
        ]

    def delete_history(self, hid: str) -> bool:
        with self._lock:
            n = self._db.execute("DELETE FROM history WHERE id = ?", (hid,)).rowcount
        self._gc_blobs()
        return n > 0

    def enforce_retention(self, *, keep_history: int | None = None, keep_jobs: int | None = None) -> None:
        if keep_history is not None:
            self._q(
                "DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY created DESC LIMIT ?)",
                (keep_history,),
            )
        if keep_jobs is not None:
            self._q(
                "DELETE FROM jobs WHERE status IN ('done', 'failed') AND id NOT IN "
                "(SELECT id FROM jobs WHERE status IN ('done', 'failed') ORDER BY updated DESC LIMIT ?)",
                (keep_jobs,),
            )
        self._gc_blobs()

    # ---------------------------------------------------------------------------- presets

    def presets(self) -> list[dict[str, Any]]:
        rows = self._q("SELECT * FROM presets ORDER BY name")
        return [{"name": r["name"], "params": json.loads(r["params"]), "updated": r["updated"]} for r in rows]

    def put_preset(self, name: str, params: dict[str, Any]) -> None:
        self._q(
            "INSERT INTO presets(name, params, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET params = excluded.params, updated = excluded.updated",
            (check_preset_name(name), json.dumps(params), time.time()),
        )

    def delete_preset(self, name: str) -> bool:
        with self._lock:
            return (
                self._db.execute("DELETE FROM presets WHERE name = ?", (check_preset_name(name),)).rowcount
                > 0
            )

    # ------------------------------------------------------------------------------- jobs

    def create_job(self, kind: str, params: dict[str, Any], inputs: list[str]) -> Job:
        now = time.time()
        jid = uuid.uuid4().hex
        self._q(
            "INSERT INTO jobs(id, kind, status, params, inputs, progress, message, results, error, created, "
            "updated) VALUES (?, ?, 'queued', ?, ?, 0, 'queued', '{}', NULL, ?, ?)",
            (jid, kind, json.dumps(params), json.dumps(inputs), now, now),
        )
        job = self.job(jid)
        assert job is not None
        return job

    def job(self, jid: str) -> Job | None:
        rows = self._q("SELECT * FROM jobs WHERE id = ?", (jid,))
        return _job(rows[0]) if rows else None

    def jobs(self, limit: int = 50) -> list[Job]:
        return [_job(r) for r in self._q("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,))]

    def count_jobs(self, status: str, kind: str | None = None) -> int:
        if kind is None:
            return int(self._q("SELECT COUNT(*) AS n FROM jobs WHERE status = ?", (status,))[0]["n"])
        rows = self._q("SELECT COUNT(*) AS n FROM jobs WHERE status = ? AND kind = ?", (status, kind))
        return int(rows[0]["n"])

    def claim_next_job(self) -> Job | None:
        """Atomically move the oldest queued job to ``running`` and return it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1"
                ).fetchone()
                if row is not None:
                    self._db.execute(
                        "UPDATE jobs SET status = 'running', message = 'starting', updated = ? WHERE id = ?",
                        (time.time(), row["id"]),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.job(row["id"]) if row is not None else None

    def update_job(
        self,
        jid: str,
        *,
        status: str | None = None,
        progress: float | None = None,
        message: str | None = None,
        results: dict[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        sets: list[str] = ["updated = ?"]
        args: list[object] = [time.time()]
        for col, val in (("status", status), ("progress", progress), ("message", message), ("error", error)):
            if val is not None:
                sets.append(f"{col} = ?")  # column names come from this fixed tuple, never from input
                args.append(val)
        if results is not None:
            sets.append("results = ?")
            args.append(json.dumps(results))
        self._q(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, jid))

    def requeue_unfinished(self) -> int:
        """At start-up (or shutdown): jobs left ``running`` by a stop go back to the queue."""
        with self._lock:
            return self._db.execute(
                "UPDATE jobs SET status = 'queued', progress = 0, message = 're-queued after restart', "
                "updated = ? WHERE status = 'running'",
                (time.time(),),
            ).rowcount


def _job(r: sqlite3.Row) -> Job:
    return Job(
        id=r["id"],
        kind=r["kind"],
        status=r["status"],
        params=json.loads(r["params"]),
        inputs=json.loads(r["inputs"]),
        progress=float(r["progress"]),
        message=r["message"],
        results=json.loads(r["results"]),
        error=r["error"],
        created=float(r["created"]),
        updated=float(r["updated"]),
    )
