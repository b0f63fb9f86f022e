"""The campaign store: one SQLite file per workspace, a versioned schema, and a lock per
campaign.

Every change (a campaign created, proposals asked, measurements told with the optimizer
state, a recommendation) is one transaction: a crash or ``kill -9`` leaves the file at
the last commit, so nothing already told is lost. The journal is SQLite's write-ahead
log. Two processes cannot advance one campaign at once: :meth:`Store.lock` holds an
exclusive ``flock`` on ``locks/NAME.lock`` in the workspace, which the kernel releases
when the holder dies, so a killed run never leaves a stale lock.

Schema versions: :data:`MIGRATIONS` holds one script per version; opening a store
applies the missing ones in order, inside a transaction, and records the version in
``meta``. A file newer than this package is refused.

An existing store is checked before anything is written into it: a file that is empty,
not SQLite, SQLite without electroforge's ``meta`` table, or fails SQLite's
``quick_check`` is refused with one line naming it. :func:`check_integrity` runs the full
``PRAGMA integrity_check`` (``campaign status --check``). Taking a campaign's lock marks
the runs that a killed process left ``running`` as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from electroforge.errors import InputError

__all__ = ["Store", "CampaignLockedError", "STORE_FILE", "MIGRATIONS", "check_integrity",
           "utc_now"]

STORE_FILE = "electroforge.db"

MIGRATIONS: tuple[str, ...] = (
    # version 1
    """
    CREATE TABLE campaigns (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        created_at TEXT NOT NULL,
        version TEXT NOT NULL,
        seed INTEGER NOT NULL
    );
    CREATE TABLE proposals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        batch INTEGER NOT NULL,
        recipe TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        version TEXT NOT NULL
    );
    CREATE TABLE measurements (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        proposal_id INTEGER REFERENCES proposals(id),
        recipe TEXT NOT NULL,
        properties TEXT NOT NULL,
        cost REAL NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        version TEXT NOT NULL
    );
    CREATE TABLE optimizer_states (
        campaign TEXT PRIMARY KEY REFERENCES campaigns(name),
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        kind TEXT NOT NULL,
        scheduled_for TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL
    );
    CREATE TABLE recommendations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        created_at TEXT NOT NULL,
        content TEXT NOT NULL,
        path TEXT
    );
    CREATE INDEX proposals_by_campaign ON proposals(campaign, status);
    CREATE INDEX measurements_by_campaign ON measurements(campaign);
    """,
    # version 2: a recommendation re-made on the campaign's verifier (replicates with
    # particles of their own), beside what the campaign predicted for it
    """
    CREATE TABLE verifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        measurement_id INTEGER NOT NULL REFERENCES measurements(id),
        created_at TEXT NOT NULL,
        content TEXT NOT NULL,
        version TEXT NOT NULL
    );
    CREATE INDEX verifications_by_campaign ON verifications(campaign, measurement_id);
    """,
    # version 3: the rounds of a closed loop (model fitted, search box, predictions)
    """
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL REFERENCES campaigns(name),
        round INTEGER NOT NULL,
        batch INTEGER,
        model_path TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        content TEXT NOT NULL,
        version TEXT NOT NULL
    );
    CREATE INDEX rounds_by_campaign ON rounds(campaign, round);
    """,
)


class CampaignLockedError(InputError):
    """Another process is advancing the campaign."""


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """The workspace's SQLite store (see module doc).

    Example:
        >>> import tempfile
        >>> store = Store(tempfile.mkdtemp())
        >>> store.schema_version == len(MIGRATIONS)
        True
    """

    def __init__(self, workspace: str | os.PathLike[str], *, create: bool = True,
                 read_only: bool = False) -> None:
        self.workspace = Path(workspace)
        self.path = self.workspace / STORE_FILE
        self.read_only = read_only
        existed = self.path.exists() or self.path.is_symlink()
        if read_only and not existed:
            create = False
        if existed:
            _check_file(self.path)
            from electroforge.paths import writable

            for what, path in (("campaign store", self.path), ("workspace", self.workspace)):
                if not read_only and not writable(path):
                    raise InputError(f"the {what} is read-only", source=str(path),
                                     allowed="a writable store and workspace (`campaign status "
                                     "--check` examines a read-only one)")
        elif not create:
            raise InputError("no campaign store in the workspace", source=str(self.workspace),
                             field="--workspace", allowed="a workspace with campaigns: create "
                             "one with `electroforge campaign create campaign.toml`")
        if read_only:
            self._open_read_only()
            return
        self.workspace.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if existed:
                self._check_existing()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.row_factory = sqlite3.Row
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise InputError(f"cannot open the campaign store ({error})", source=str(self.path),
                             allowed="an electroforge.db written by electroforge") from None

    def _open_read_only(self) -> None:
        """For commands that only read (status, export): an archived, read-only store
        opens too; nothing is migrated or written."""
        uri = self.path.resolve().as_uri()
        try:
            try:
                self.db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
                self._check_existing()
            except sqlite3.OperationalError:
                # a WAL store in a read-only folder: SQLite cannot make its shared memory
                self.db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True,
                                          isolation_level=None)
                self._check_existing()
            self.db.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as error:
            raise InputError(f"cannot open the campaign store ({error})", source=str(self.path),
                             allowed="an electroforge.db written by electroforge") from None
        # versions 2 and 3 only added tables: an older store reads as it is (no
        # verifications, no rounds)
        if not 1 <= self.schema_version <= len(MIGRATIONS):
            raise InputError("the store's schema differs from this electroforge's",
                             source=str(self.path), field="schema_version",
                             value=self.schema_version, allowed=f"{len(MIGRATIONS)} (open it "
                             "once with a command that writes, to migrate it)")

    def _check_existing(self) -> None:
        """Refuse a file that is not an intact electroforge store (nothing written)."""
        def refuse(problem: str) -> InputError:
            self.db.close()
            return InputError(problem, source=str(self.path),
                              allowed="an electroforge.db written by electroforge (restore it "
                              "from a backup, or use another --workspace)")

        try:
            tables = {r[0] for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "meta" not in tables:
                raise refuse("not an electroforge campaign store (no meta table)")
            verdict = [r[0] for r in self.db.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as error:
            raise refuse(f"the campaign store is corrupted ({error})") from None
        if verdict != ["ok"]:
            raise refuse(f"the campaign store is corrupted ({verdict[0]})")

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise InputError("the store was written by a newer electroforge",
                                 source=str(self.path), field="schema_version", value=current,
                                 allowed=f"<= {len(MIGRATIONS)}: upgrade electroforge")
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                                (str(version),))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- lock -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the campaign's lock, or raise :class:`CampaignLockedError` at once."""
        from electroforge.paths import check_output_dir

        folder = check_output_dir(self.workspace / "locks", option="locks folder")
        folder.mkdir(exist_ok=True)
        handle = open(folder / f"{name}.lock", "a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise CampaignLockedError(
                    "the campaign is being advanced by another process", source=str(self.path),
                    field=name,
                    value=holder, allowed="one process at a time: wait for it to finish") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {utc_now()}")
            handle.flush()
            # whoever holds the lock is the only one running: a run still marked running
            # was killed
            with self.transaction() as db:
                db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE "
                           "campaign = ? AND status = 'running'", (utc_now(), name))
            yield
        finally:
            handle.close()

    # -- paths ----------------------------------------------------------------------------
    def stored_path(self, path: str | os.PathLike[str]) -> str:
        """How a path is recorded: relative to the workspace when inside it, else absolute;
        never relative to the working directory (which changes between commands)."""
        path = Path(path).resolve()
        workspace = self.workspace.resolve()
        return str(path.relative_to(workspace) if path.is_relative_to(workspace) else path)

    def resolve_path(self, text: str) -> Path:
        """The path a recorded one means (see :meth:`stored_path`)."""
        path = Path(text)
        return path if path.is_absolute() else self.workspace.resolve() / path

    # -- campaigns ------------------------------------------------------------------------
    def campaign_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM campaigns ORDER BY name")]

    def definition(self, name: str) -> dict[str, Any]:
        row = self.db.execute("SELECT definition FROM campaigns WHERE name = ?",
                              (name,)).fetchone()
        if row is None:
            names = self.campaign_names()
            raise InputError("no such campaign", source=str(self.path), field="campaign",
                             value=repr(name),
                             allowed=", ".join(names) if names else "create one first: "
                             "electroforge campaign create campaign.toml")
        definition = self.load_json(row[0], f"the definition of campaign {name!r}")
        if not isinstance(definition, dict):
            raise self.damaged(f"the definition of campaign {name!r}", "not a table")
        return definition

    def load_json(self, text: Any, what: str) -> Any:
        """A JSON value the store keeps; a damaged one is refused naming the store."""
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError) as error:
            raise self.damaged(what, str(error).splitlines()[0][:80]) from None

    def damaged(self, what: str, detail: str) -> InputError:
        return InputError(f"{what} in the store is damaged ({detail})", source=str(self.path),
                          allowed="a store written by electroforge (restore it from a backup)")

    def campaign_row(self, name: str) -> sqlite3.Row:
        self.definition(name)
        return self.db.execute("SELECT * FROM campaigns WHERE name = ?", (name,)).fetchone()

    def rows(self, table: str, name: str, where: str = "", params: tuple = ()) -> list[sqlite3.Row]:
        query = f"SELECT * FROM {table} WHERE campaign = ? {where} ORDER BY id"
        return self.db.execute(query, (name, *params)).fetchall()

    def add_verification(self, name: str, measurement_id: int, content: dict[str, Any],
                         version: str) -> None:
        """Record a verification of a measured recipe (one transaction)."""
        with self.transaction() as db:
            db.execute("INSERT INTO verifications (campaign, measurement_id, created_at, "
                       "content, version) VALUES (?, ?, ?, ?, ?)",
                       (name, int(measurement_id), content["created_at"],
                        json.dumps(content), version))

    def verifications(self, name: str, measurement_id: int | None = None
                      ) -> list[dict[str, Any]]:
        """The campaign's verifications, oldest first (of one measurement if given)."""
        if not self._has_table("verifications"):
            return []           # a version-1 store opened read-only
        where, params = ("AND measurement_id = ?", (int(measurement_id),)) \
            if measurement_id is not None else ("", ())
        return [self.load_json(row["content"], "a verification")
                for row in self.rows("verifications", name, where, params)]

    def _has_table(self, table: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = ?", (table,)).fetchone() is not None

    # -- campaign records -------------------------------------------------------------------
    def insert_campaign(self, name: str, definition: dict[str, Any], seed: int,
                        state: dict[str, Any], version: str) -> None:
        """Record a new campaign with its optimizer's first state (one transaction)."""
        with self.transaction() as db:
            now = utc_now()
            db.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?)",
                       (name, json.dumps(definition), now, version, seed))
            db.execute("INSERT INTO optimizer_states VALUES (?, ?, ?)",
                       (name, json.dumps(state), now))

    def optimizer_state(self, name: str) -> Any:
        row = self.db.execute("SELECT state FROM optimizer_states WHERE campaign = ?",
                              (name,)).fetchone()
        return self.load_json(row[0] if row else None,
                              f"the optimizer state of campaign {name!r}")

    def save_optimizer_state(self, db: sqlite3.Connection, name: str,
                             state: dict[str, Any]) -> None:
        """Inside the caller's transaction (with the proposals or measurements it goes with)."""
        db.execute("UPDATE optimizer_states SET state = ?, updated_at = ? WHERE campaign = ?",
                   (json.dumps(state), utc_now(), name))

    def count(self, table: str, name: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE campaign = ?",
                                   (name,)).fetchone()[0])

    def insert_measurement(self, db: sqlite3.Connection, name: str, proposal: int | None,
                           recipe: dict[str, float], properties: dict[str, float],
                           cost: float, source: str, version: str) -> None:
        """A measurement, its proposal marked told (inside the caller's transaction)."""
        db.execute("INSERT INTO measurements (campaign, proposal_id, recipe, properties, cost,"
                   " source, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (name, proposal, json.dumps(recipe), json.dumps(properties), float(cost),
                    source, utc_now(), version))
        if proposal is not None:
            db.execute("UPDATE proposals SET status = 'told' WHERE id = ?", (proposal,))

    def start_run(self, name: str, kind: str, scheduled_for: str | None) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO runs (campaign, kind, scheduled_for, started_at, "
                              "status) VALUES (?, ?, ?, ?, 'running')",
                              (name, kind, scheduled_for, utc_now())).lastrowid

    def finish_run(self, run_id: int, status: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
                       (utc_now(), status, run_id))

    def scheduled_run_done(self, name: str, scheduled_for: str) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE campaign = ? AND scheduled_for = ? "
                               "AND status IN ('done', 'stopped')", (name, scheduled_for)).fetchone() is not None

    def insert_recommendation(self, name: str, created_at: str, content: str,
                              path: str | None) -> None:
        """A recommendation (``content``: its JSON text) and the file it was written to."""
        with self.transaction() as db:
            db.execute("INSERT INTO recommendations (campaign, created_at, content, path) "
                       "VALUES (?, ?, ?, ?)", (name, created_at, content, path))

    # -- proposals and rounds (inside the caller's transaction) ---------------------------
    def insert_proposals(self, db: sqlite3.Connection, name: str, recipes: list[dict],
                         version: str) -> tuple[int, list[int]]:
        """Record ``recipes`` as one new pending batch; returns (batch, proposal ids)."""
        batch = db.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM proposals WHERE "
                           "campaign = ?", (name,)).fetchone()[0]
        now = utc_now()
        ids = [db.execute("INSERT INTO proposals (campaign, batch, recipe, source, status, "
                          "created_at, version) VALUES (?, ?, ?, 'engine', 'pending', ?, ?)",
                          (name, batch, json.dumps(recipe), now, version)).lastrowid
               for recipe in recipes]
        return batch, ids

    def insert_round(self, db: sqlite3.Connection, name: str, content: dict[str, Any],
                     version: str) -> None:
        """Record a closed loop's round (``content``: ``round``, ``batch``, ``model``,
        ``model_sha256``, ``created_at`` and what the round predicted)."""
        db.execute("INSERT INTO rounds (campaign, round, batch, model_path, model_sha256, "
                   "created_at, content, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (name, int(content["round"]), content.get("batch"), content["model"],
                    content["model_sha256"], content["created_at"], json.dumps(content),
                    version))

    def rounds(self, name: str) -> list[dict[str, Any]]:
        """A closed loop's rounds, oldest first."""
        if not self._has_table("rounds"):
            return []
        return [self.load_json(row["content"], f"round {row['round']}")
                for row in self.rows("rounds", name)]

    def delete_campaign(self, name: str) -> None:
        """Remove a campaign and everything recorded for it (one transaction)."""
        self.definition(name)
        with self.lock(name), self.transaction() as db:
            for table in ("rounds", "verifications", "measurements", "proposals", "optimizer_states",
                          "runs", "recommendations"):
                db.execute(f"DELETE FROM {table} WHERE campaign = ?", (name,))
            db.execute("DELETE FROM campaigns WHERE name = ?", (name,))

    def close(self) -> None:
        self.db.close()


def check_integrity(workspace: str | os.PathLike[str]) -> tuple[Path, list[str]]:
    """``(store path, problems)`` from SQLite's full integrity check, the file opened
    read-only (a damaged store is examined, never written); no problems: ``[]``."""
    path = Path(workspace) / STORE_FILE
    if not path.exists():
        raise InputError("no campaign store in the workspace", source=str(workspace),
                         field="--workspace", allowed="a workspace with an electroforge.db")
    _check_file(path)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = [r[0] for r in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return path, [str(error)]
    return path, [] if verdict == ["ok"] else verdict


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_file(path: Path) -> None:
    """The store file must be a non-empty SQLite file (checked before SQLite opens it)."""
    allowed = "an electroforge.db written by electroforge (or another --workspace)"
    if path.is_dir():
        raise InputError("the campaign store is a folder", source=str(path), allowed=allowed)
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise InputError(f"cannot read the campaign store ({error.strerror})", source=str(path),
                         allowed=allowed) from None
    if not header:
        raise InputError("the campaign store is an empty file (0 bytes)", source=str(path),
                         allowed=allowed)
    if header != _SQLITE_HEADER:
        raise InputError("the campaign store is not an SQLite file", source=str(path),
                         allowed=allowed)
