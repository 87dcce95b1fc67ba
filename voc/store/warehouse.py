"""The DuckDB warehouse: one file, versioned migrations, atomic runs.

DuckDB lets one process hold the file for writing, so only the flow (or CLI) process writes;
workers compute on batches and hand DataFrames back. Every write of a run happens inside one
transaction (:meth:`Store.transaction`) so a crash leaves the previous state intact.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from voc.errors import InputError, StoreLockedError
from voc.store.theme_tables import Conflict, ThemeTables

log = logging.getLogger(__name__)

#: Bytes 8-11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"
#: Seconds between two attempts to take the writer lock.
_LOCK_POLL_S = 0.5

#: Tables :meth:`Store.rows` reads whole.
_READABLE_TABLES = frozenset({"units", "unit_scores", "record_scores", "metrics", "priorities", "alerts"})


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every ``migrations/NNN_name.sql``, ordered by version."""
    folder = resources.files("voc.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def check_store_file(path: str) -> None:
    """Refuse a file that exists but is not a DuckDB database.

    DuckDB itself opens some such paths (a ``.csv``) as an empty in-memory database, so a night
    would "succeed" and save nothing anywhere.

    Raises
    ------
    InputError
    """
    if path == ":memory:":
        return
    file = Path(path)
    if file.is_dir():
        raise InputError(f"{path} is a folder; give --db a DuckDB file such as {file / 'voc.duckdb'}")
    if not file.exists() or file.stat().st_size == 0:
        return
    with open(file, "rb") as fh:
        head = fh.read(16)
    if head[8:12] != _DUCKDB_MAGIC:
        raise InputError(f"{path} is not a DuckDB database; give --db a new or an existing voc store file")


class Store(ThemeTables):
    """A DuckDB file holding feedback, caches and every night's results.

    Parameters
    ----------
    path : str or Path
        The database file (created with its folder when missing); ``":memory:"`` for tests.
    read_only : bool
        Open without taking the writer lock (reports, notebooks while a run is writing elsewhere).
    lock_timeout_s : float
        How long to wait for another process (an earlier night still running, a notebook) to
        release the file before giving up with :class:`~voc.errors.StoreLockedError`; 0 fails at once.

    Raises
    ------
    InputError
        When ``path`` exists and is not a DuckDB database (a CSV given to ``--db`` by mistake).
    StoreLockedError
        When the lock is still held after ``lock_timeout_s``.
    """

    def __init__(self, path: str | Path = "voc.duckdb", *, read_only: bool = False, lock_timeout_s: float = 0.0):
        self.path = str(path)
        self.read_only = read_only
        self.lock_timeout_s = float(lock_timeout_s)
        if self.path != ":memory:" and not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._in_transaction = False

    # -- connection ---------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if self.read_only and not Path(self.path).exists():
                raise FileNotFoundError(f"no voc store at {self.path}: run `voc run` first")
            check_store_file(self.path)
            self._con = self._connect()
            if not self.read_only:
                self.migrate()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Connect, waiting up to ``lock_timeout_s`` while another process holds the file."""
        deadline = time.monotonic() + self.lock_timeout_s
        warned = False
        while True:
            try:
                return duckdb.connect(self.path, read_only=self.read_only)
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    if "not a valid DuckDB database" in str(exc):
                        raise InputError(
                            f"{self.path} is not a DuckDB database; give --db a new or an existing voc store file"
                        ) from exc
                    raise
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"the store {self.path} is in use by another process (another voc run?) and was not released "
                        f"within {self.lock_timeout_s:g} s; wait for it to finish or raise `lock_timeout_s`"
                    ) from exc
                if not warned:
                    log.warning("store locked, waiting", extra={"store": self.path, "timeout_s": self.lock_timeout_s})
                    warned = True
                time.sleep(min(_LOCK_POLL_S, max(deadline - time.monotonic(), 0.01)))

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[str]:
        """Apply migrations not yet applied, each in its own transaction. Returns their names."""
        con = self._con if self._con is not None else self.con
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for version, name, sql in _migration_files():
            if version in done:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, _utcnow()])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            applied.append(name)
            log.info("migration applied", extra={"migration": name})
        return applied

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all (nested use joins the outer one)."""
        if self._in_transaction:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield self
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    # -- generic access ---------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        self.con.execute(sql, params or [])

    def table_columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        if not rows:
            raise KeyError(f"no table {table!r} in the store")
        return [r[0] for r in rows]

    def insert(self, table: str, frame: pd.DataFrame, *, on_conflict: Conflict = "error") -> int:
        """Insert the columns of ``frame`` that the table has; returns rows offered.

        Columns the table lacks are ignored, so steps can hand over richer frames.
        """
        if frame is None or frame.empty:
            return 0
        columns = [c for c in self.table_columns(table) if c in frame.columns]
        verb = {"error": "INSERT", "ignore": "INSERT OR IGNORE", "replace": "INSERT OR REPLACE"}[on_conflict]
        quoted = ", ".join(f'"{c}"' for c in columns)
        view = f"_incoming_{uuid.uuid4().hex[:8]}"
        self.con.register(view, frame[columns])
        try:
            self.con.execute(f"{verb} INTO {table} ({quoted}) SELECT {quoted} FROM {view}")
        finally:
            self.con.unregister(view)
        return len(frame)

    def replace_night(self, table: str, night: date, frame: pd.DataFrame) -> None:
        """Replace a night's rows of a per-night table, so rerunning a night is idempotent."""
        with self.transaction():
            self.con.execute(f"DELETE FROM {table} WHERE night = ?", [night])
            if frame is not None and not frame.empty:
                self.insert(table, frame.assign(night=night))

    # -- feedback ---------------------------------------------------------------------------
    def add_records(self, records: pd.DataFrame, *, run_id: str) -> pd.DataFrame:
        """Store records not seen before, and new versions of edited ones; return exactly those.

        A record is already known when its ``record_id`` exists with the same text, or when the same
        customer left the same (non-empty) text in the same source before: re-exports of a source
        often renumber rows. A known id with a different text is an edit: the earlier text moves to
        ``feedback_versions``, the record's units, themes and scores are dropped so tonight's run
        analyses the new text, and the returned frame holds it with ``attrs["n_edited"]`` counting
        such records.
        """
        if records.empty:
            records.attrs["n_edited"] = 0
            return records
        records = records.drop_duplicates("record_id")
        view = f"_new_{uuid.uuid4().hex[:8]}"
        self.con.register(view, records[["record_id", "source", "customer_id", "text_hash", "text"]])
        try:
            known = self.con.execute(
                f"""
                SELECT n.record_id FROM {view} n
                WHERE EXISTS (SELECT 1 FROM feedback f WHERE f.record_id = n.record_id AND f.text_hash = n.text_hash)
                   OR (n.text <> '' AND n.customer_id IS NOT NULL AND EXISTS (
                        SELECT 1 FROM feedback f WHERE f.source = n.source
                          AND f.customer_id = n.customer_id AND f.text_hash = n.text_hash))
                """
            ).fetchall()
            edited = self.con.execute(
                f"""
                SELECT n.record_id, f.version FROM {view} n JOIN feedback f ON f.record_id = n.record_id
                WHERE f.text_hash <> n.text_hash
                """
            ).fetchall()
        finally:
            self.con.unregister(view)
        known_ids = {r[0] for r in known}
        versions = {r[0]: int(r[1] or 1) for r in edited if r[0] not in known_ids}
        fresh = records[~records["record_id"].isin(known_ids)].copy()
        with self.transaction():
            if versions:
                self._supersede(versions, run_id)
            if not fresh.empty:
                fresh["version"] = [versions.get(rid, 0) + 1 for rid in fresh["record_id"]]
                self.insert("feedback", fresh.assign(run_id=run_id, ingested_at=_utcnow()))
        fresh.attrs["n_edited"] = len(versions)
        return fresh

    def _supersede(self, versions: Mapping[str, int], run_id: str) -> None:
        """Move the current text of edited records to ``feedback_versions`` and drop what was derived from it."""
        ids = pd.DataFrame({"record_id": list(versions)})
        view = f"_edited_{uuid.uuid4().hex[:8]}"
        self.con.register(view, ids)
        try:
            self.con.execute(
                f"""INSERT OR REPLACE INTO feedback_versions
                    SELECT f.record_id, coalesce(f.version, 1), f.text, f.text_hash, f.score, f.created_at,
                           f.run_id, ?, ?
                    FROM feedback f JOIN {view} e USING (record_id)""",
                [_utcnow(), run_id],
            )
            self.con.execute(
                "DELETE FROM unit_scores WHERE unit_id IN "
                f"(SELECT u.unit_id FROM units u JOIN {view} e USING (record_id))"
            )
            for table in ("units", "unit_themes", "record_scores", "feedback"):
                self.con.execute(f"DELETE FROM {table} WHERE record_id IN (SELECT record_id FROM {view})")
        finally:
            self.con.unregister(view)
        log.info("edited records", extra={"n": len(versions)})

    def get_records(self, columns: Sequence[str] | None = None, *, since: datetime | None = None) -> pd.DataFrame:
        """Read stored records (only the columns asked for; the history can be large)."""
        cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        sql = f"SELECT {cols} FROM feedback"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE created_at >= ?"
            params.append(since)
        return self.query(sql + " ORDER BY created_at, record_id", params)

    # -- embedding cache ----------------------------------------------------------------------
    def last_record_date(self) -> date | None:
        """The date of the newest stored record (None when no record has a date)."""
        value = self.query("SELECT max(created_at) AS last FROM feedback")["last"].iloc[0]
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    def replace_quarantine(self, run_id: str, rows: pd.DataFrame) -> None:
        """The run's rejected rows, replacing what an earlier attempt at the same run stored."""
        with self.transaction():
            self.execute("DELETE FROM quarantine WHERE run_id = ?", [run_id])
            self.insert("quarantine", rows.assign(run_id=run_id))

    def rows(self, table: str) -> pd.DataFrame:
        """Every row of a results table (``units``, ``unit_scores``, ``record_scores``, ``metrics``,
        ``priorities``, ``alerts``): what a catalogue dataset over it loads."""
        if table not in _READABLE_TABLES:
            raise ValueError(f"{table!r} is not a results table; expected one of {sorted(_READABLE_TABLES)}")
        return self.query(f"SELECT * FROM {table}")

    def records_of_run(self, run_id: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The records a run stored (new ones and new versions of edited ones)."""
        cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        return self.query(f"SELECT {cols} FROM feedback WHERE run_id = ? ORDER BY created_at, record_id", [run_id])

    def quarantine_of_run(self, run_id: str) -> pd.DataFrame:
        """The rows a run rejected."""
        return self.query("SELECT * FROM quarantine WHERE run_id = ?", [run_id])

    def move_run(self, run_id: str, night: date) -> None:
        """Point a run at the night it turned out to describe (see :mod:`voc.pipeline.night`)."""
        self.execute("UPDATE runs SET night = ? WHERE run_id = ?", [night, run_id])

    def get_embeddings(self, hashes: Sequence[str], model_id: str) -> dict[str, np.ndarray]:
        """Cached vectors for ``hashes`` under ``model_id`` (missing ones are simply absent)."""
        if not hashes:
            return {}
        view = f"_hashes_{uuid.uuid4().hex[:8]}"
        self.con.register(view, pd.DataFrame({"text_hash": list(hashes)}))
        try:
            table = self.con.sql(
                f"SELECT e.text_hash, e.vector FROM embeddings e JOIN {view} h USING (text_hash) "
                "WHERE e.model_id = $model_id",
                params={"model_id": model_id},
            ).to_arrow_table()
        finally:
            self.con.unregister(view)
        if table.num_rows == 0:
            return {}
        keys = table.column("text_hash").to_pylist()
        flat = table.column("vector").combine_chunks()
        matrix = np.asarray(flat.flatten(), dtype=np.float32).reshape(table.num_rows, -1)
        return dict(zip(keys, matrix))

    def cached_hashes(self, hashes: Sequence[str], model_id: str) -> set[str]:
        """Which of ``hashes`` have a vector under ``model_id`` (no vectors are read)."""
        if not hashes:
            return set()
        view = f"_hashes_{uuid.uuid4().hex[:8]}"
        self.con.register(view, pd.DataFrame({"text_hash": list(hashes)}))
        try:
            rows = self.con.execute(
                f"SELECT e.text_hash FROM embeddings e JOIN {view} h USING (text_hash) WHERE e.model_id = ?", [model_id]
            ).fetchall()
        finally:
            self.con.unregister(view)
        return {r[0] for r in rows}

    def put_embeddings(self, hashes: Sequence[str], vectors: np.ndarray, model_id: str) -> None:
        if len(hashes) == 0:
            return
        frame = pd.DataFrame(
            {"text_hash": list(hashes), "model_id": model_id, "vector": list(np.asarray(vectors, np.float32))}
        )
        self.insert("embeddings", frame, on_conflict="ignore")

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, night: date) -> str:
        run_id = f"{night.isoformat()}-{uuid.uuid4().hex[:8]}"
        self.execute(
            "INSERT INTO runs (run_id, night, started_at, status) VALUES (?, ?, ?, 'running')",
            [run_id, night, _utcnow()],
        )
        return run_id

    def close_stale_runs(self) -> list[str]:
        """Mark runs still ``running`` as failed and return their ids.

        Called by a writer, which holds the file's lock: no live process can be running a night
        on this store, so such a row was left by a killed or crashed process. Its writes were
        never committed (a night is one transaction), so only the row needs closing.
        """
        stale = [r[0] for r in self.con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchall()]
        if stale:
            self.con.execute(
                "UPDATE runs SET status = 'failed', finished_at = ?, "
                'summary = \'{"error": "interrupted: the process ended before the night finished"}\' '
                "WHERE status = 'running'",
                [_utcnow()],
            )
            log.warning("closed interrupted runs", extra={"runs": stale})
        return stale

    def finish_run(
        self, run_id: str, *, status: str, counts: Mapping[str, int | None] | None = None, summary: str = "{}"
    ) -> None:
        counts = counts or {}
        self.execute(
            "UPDATE runs SET finished_at = ?, status = ?, n_read = ?, n_new = ?, n_quarantined = ?, summary = ? "
            "WHERE run_id = ?",
            [
                _utcnow(),
                status,
                counts.get("n_read"),
                counts.get("n_new"),
                counts.get("n_quarantined"),
                summary,
                run_id,
            ],
        )

    def record_failed_run(self, night: date, error: str, *, since: datetime | None = None) -> str:
        """Make sure a failed attempt has its ``failed`` row in ``runs``; returns that run's id.

        A run the pipeline opened after ``since`` (naive UTC) is reused: a crashed one still says
        ``running`` and is marked failed, one already failed is left as it is. Without one (the
        night failed before the store was opened) a new ``failed`` row is added.
        """
        import json

        summary = json.dumps({"error": error}, ensure_ascii=False)
        if since is not None:
            rows = self.con.execute(
                "SELECT run_id, status FROM runs WHERE started_at >= ? ORDER BY started_at DESC", [since]
            ).fetchall()
            if rows:
                run_id, status = rows[0]
                if status == "running":
                    self.execute(
                        "UPDATE runs SET status = 'failed', finished_at = ?, summary = ? WHERE run_id = ?",
                        [_utcnow(), summary, run_id],
                    )
                return run_id
        run_id = f"{night.isoformat()}-{uuid.uuid4().hex[:8]}"
        now = _utcnow()
        self.execute(
            "INSERT INTO runs (run_id, night, started_at, finished_at, status, summary) "
            "VALUES (?, ?, ?, ?, 'failed', ?)",
            [run_id, night, since or now, now, summary],
        )
        return run_id

    def last_run(self, *, status: str = "succeeded", before: str | None = None) -> dict[str, Any] | None:
        sql = "SELECT * FROM runs WHERE status = ?"
        params: list[Any] = [status]
        if before:
            sql += " AND run_id <> ? AND started_at < (SELECT started_at FROM runs WHERE run_id = ?)"
            params += [before, before]
        frame = self.query(sql + " ORDER BY started_at DESC LIMIT 1", params)
        return None if frame.empty else frame.iloc[0].to_dict()
