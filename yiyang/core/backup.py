"""Backups of a deployment: the database and the uploaded files under MEDIA_ROOT in one archive.

    manage.py backup /srv/backups/             writes /srv/backups/yiyang-backup-20261207-023000.tar.gz
    manage.py restore /srv/backups/yiyang-backup-20261207-023000.tar.gz [--force]

The archive (.tar.gz) holds
- `manifest.json`: when and from what it was made, the row count of every table, and the size and
  SHA-256 of every other member;
- `database/yiyang.sqlite3`, a copy made with SQLite's online backup API (readers and writers go on
  meanwhile), or `database/yiyang.pgdump`, PostgreSQL's custom format from `pg_dump` (found on PATH);
  on PostgreSQL the counts are taken in the very snapshot pg_dump reads, so they match the dump;
- `media/<path>` for every file under MEDIA_ROOT (photos of inspections, evidence, cadres; reports).

A restore checks every checksum before it changes anything, refuses to overwrite a database that holds
rows unless forced, loads the database (online backup API into the live SQLite database; `pg_restore
--clean --single-transaction` on PostgreSQL), writes the files back under MEDIA_ROOT, and compares the
row counts with the manifest. Stop the web server and the task worker before restoring.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/yiyang.sqlite3"
PG_MEMBER = "database/yiyang.pgdump"
MEDIA_PREFIX = "media/"
# Rows that `migrate` writes into an empty database by itself: a database holding only these is empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in words for the operator."""


@dataclass
class Result:
    path: Path
    manifest: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files() -> Iterator[tuple[str, Path]]:
    root = _media_root()
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def _quote(connection, table: str) -> str:
    return connection.ops.quote_name(table)


def table_counts(connection) -> dict[str, int]:
    """Rows of every table of the database behind a Django connection."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")  # noqa: S608 - names from the catalogue
            counts[table] = cursor.fetchone()[0]
    return counts


def holds_rows(counts: dict[str, int]) -> bool:
    return any(count for table, count in counts.items() if table not in BOOKKEEPING_TABLES)


def _migrations(connection) -> list[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# --- The database, per engine --------------------------------------------------------------------


def _sqlite_copy(connection, target: Path) -> dict[str, int]:
    """Copy the live SQLite database into `target` with the online backup API; the copy's counts."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name")]  # fmt: skip
        return {t: cursor.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    finally:
        copy.close()


def _pg_environment(connection) -> tuple[list[str], dict]:
    """libpq options for pg_dump / pg_restore from the connection's settings (DATABASE_URL); the
    password goes through the environment, never the command line."""
    params = connection.settings_dict
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    options = []
    if params.get("HOST"):
        options += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        options += ["--port", str(params["PORT"])]
    if params.get("USER"):
        options += ["--username", str(params["USER"])]
    options += ["--dbname", str(params["NAME"])]
    return options, env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client (postgresql-client-15)")
    return found


def _pg_dump(connection, target: Path) -> dict[str, int]:
    """pg_dump in the custom format, reading the snapshot in which the counts are taken."""
    options, env = _pg_environment(connection)
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute(
                "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
            command = [_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                       f"--snapshot={snapshot}", f"--file={target}", *options]  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        raw.rollback()
    finally:
        raw.close()
    return counts


def _pg_restore(connection, source: Path) -> None:
    options, env = _pg_environment(connection)
    connection.close()  # no session of ours holds a lock on the tables pg_restore drops
    command = [_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", *options, str(source)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _sqlite_restore(connection, source: Path) -> None:
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise BackupError("restore must not run inside a transaction")
    copy = sqlite3.connect(source)
    try:
        copy.backup(connection.connection)
    finally:
        copy.close()


# --- Backup --------------------------------------------------------------------------------------


def default_name(now=None) -> str:
    return f"yiyang-backup-{timezone.localtime(now):%Y%m%d-%H%M%S}.tar.gz"


def backup(destination: str | Path, *, using: str = DEFAULT_DB_ALIAS) -> Result:
    """Write the archive to `destination`, a file name or an existing folder (then a dated name in it)."""
    as_folder = str(destination).endswith(("/", os.sep))
    destination = Path(destination)
    if destination.is_dir() or as_folder:
        destination.mkdir(parents=True, exist_ok=True)
        destination = destination / default_name()
    if destination.exists():
        raise BackupError(f"{destination} exists already; a backup never overwrites one")
    destination.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix="yiyang-backup-") as work:
        if connection.vendor == "sqlite":
            member, dump = SQLITE_MEMBER, Path(work) / "yiyang.sqlite3"
            counts = _sqlite_copy(connection, dump)
        elif connection.vendor == "postgresql":
            member, dump = PG_MEMBER, Path(work) / "yiyang.pgdump"
            counts = _pg_dump(connection, dump)
        else:
            raise BackupError(f"no backup for the {connection.vendor} database engine")
        files = {member: {"size": dump.stat().st_size, "sha256": _sha256(dump)}}
        media = list(_media_files())
        for name, path in media:
            files[MEDIA_PREFIX + name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "django": django.get_version(),
            "engine": connection.vendor,
            "database": member,
            "migrations": _migrations(connection),
            "tables": counts,
            "files": files,
        }
        partial = destination.with_name(destination.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(timezone.now().timestamp()), 0o600
                archive.addfile(info, io.BytesIO(body))
                archive.add(dump, arcname=member, recursive=False)
                for name, path in media:
                    archive.add(path, arcname=MEDIA_PREFIX + name, recursive=False)
            partial.chmod(0o600)
            partial.rename(destination)  # a half-written archive never carries the final name
        finally:
            partial.unlink(missing_ok=True)
    return Result(destination, manifest)


# --- Restore -------------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.getmember(MANIFEST)
        manifest = json.loads(archive.extractfile(member).read())
    except (KeyError, AttributeError, ValueError):
        raise BackupError("not a Yiyang backup: the archive holds no readable manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    return manifest


def _verify_and_unpack(archive: tarfile.TarFile, manifest: dict, work: Path) -> None:
    """Copy every member listed in the manifest into `work`, checking size and SHA-256; anything else in
    the archive, a missing member or a changed byte refuses the restore before anything is changed."""
    listed = manifest.get("files", {})
    seen = set()
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        if member.name not in listed or not member.isfile() or not _safe_name(member.name):
            raise BackupError(f"the archive holds {member.name!r}, which its manifest does not list")
        target = work / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with archive.extractfile(member) as source, target.open("wb") as out:
            while block := source.read(CHUNK):
                digest.update(block)
                out.write(block)
        expected = listed[member.name]
        if digest.hexdigest() != expected["sha256"] or target.stat().st_size != expected["size"]:
            raise BackupError(f"checksum mismatch for {member.name}: the archive is damaged")
        seen.add(member.name)
    missing = set(listed) - seen
    if missing:
        raise BackupError(f"the archive lacks {len(missing)} listed files, e.g. {sorted(missing)[0]}")


def restore(source: str | Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Restore an archive made by `backup`; answers its manifest. See the module's description."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix="yiyang-restore-") as work, tarfile.open(source, "r:*") as archive:
        work = Path(work)
        manifest = read_manifest(archive)
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"the backup is of a {manifest['engine']} database, this one is {connection.vendor}")
        _verify_and_unpack(archive, manifest, work)
        if holds_rows(table_counts(connection)) and not force:
            raise BackupError("the database holds rows already; restore with --force to replace them")
        dump = work / manifest["database"]
        if connection.vendor == "sqlite":
            _sqlite_restore(connection, dump)
        else:
            _pg_restore(connection, dump)
        media_root = _media_root().resolve()
        for name in manifest["files"]:
            if not name.startswith(MEDIA_PREFIX):
                continue
            target = (media_root / name.removeprefix(MEDIA_PREFIX)).resolve()
            if not target.is_relative_to(media_root):
                raise BackupError(f"{name} points outside MEDIA_ROOT")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / name, target)
    counts = table_counts(connection)
    differ = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if differ:
        table, (expected, found) = next(iter(differ.items()))
        raise BackupError(f"after the restore {table} holds {found} rows, the backup {expected}")
    return manifest
