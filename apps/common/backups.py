"""Backups of a small site: the database as pg_dump's custom format, the referral attachments' files as a tar
(when they are on the filesystem: a bucket keeps its own versions and replicas), and a manifest (row counts, the
files' SHA-256, where the attachments are) that a restore checks itself against. docs/operations.md ("Backups",
"Attachment storage") says when to use them and what a large site runs instead.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import environ
import psycopg2
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from psycopg2 import sql
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ, make_dsn

from apps.referrals.models import AccessLog, Attachment, Referral, ReferralEvent

from .db_roles import restrict_role

MANIFEST_FORMAT = 1
# What a restore must find again, row for row: counted in the snapshot pg_dump reads.
COUNTED = {
    "referrals": Referral,
    "referral_events": ReferralEvent,
    "access_log_rows": AccessLog,
    "attachments": Attachment,
}
# The connection settings libpq takes from Django's OPTIONS (not `options`: the app's own session settings).
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service")
CHUNK = 1024 * 1024
# A backup's files, <kind>-<UTC time><ext> (no tar when the attachments are in a bucket).
_NAMES = (("oncodir", ".dump"), ("attachments", ".tar"), ("manifest", ".json"))
# The manifest's `attachment_storage`: the kinds of settings.ATTACHMENT_STORAGE (a manifest without it: filesystem).
FILESYSTEM, S3 = "filesystem", "s3"

NOT_EMPTY = "The database {name} has tables already ({tables}): restore only into a new, empty database."
FILES_EXIST = "{count} attachment file(s) are in {folder} already ({first}, ...): a restore overwrites nothing."
OTHER_STORAGE = (
    "The backup's attachments are on storage {backup}, this site's on {here}: restore with the same "
    "ATTACHMENT_STORAGE (docs/operations.md, Attachment storage)."
)
DAMAGED = "{name} is not the file the backup wrote (its SHA-256 differs from the manifest's): the copy is damaged."
NO_MANIFEST = "No backup manifest (manifest-*.json) in {path}."
NOT_A_MANIFEST = "{path} is not a manifest of backup_database (format {format})."
PART_MISSING = "{name} is missing: a backup is its manifest and the files named in it, in one folder."
NOT_AN_ATTACHMENT = "{tar} holds {member!r}, which is not an attachment's file."
CLIENT_MISSING = "{tool} was not found in {where}."
CLIENT_TOO_OLD = "{tool} {found} ({path}) is older than {what} ({needed}): put {tool} {needed} or newer first on PATH."
TOOL_FAILED = "{tool} failed: {error}"
FILE_MISSING = "attachment {id}: no file {path}"
FILE_DIFFERS = "attachment {id}: {path} is not the uploaded file (SHA-256)"
MISMATCH = "The restored database does not match the backup, do not use it: {problems}."


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why."""


@dataclass(frozen=True)
class Target:
    """A database as libpq sees it. The password is not in `dsn`: child processes get it in PGPASSWORD, so it
    is never on a command line (where `ps` shows it)."""

    dsn: str
    password: str
    name: str

    @classmethod
    def from_settings(cls, database: dict) -> "Target":
        options = database.get("OPTIONS") or {}
        params = {
            "host": database.get("HOST"),
            "port": str(database.get("PORT") or ""),
            "dbname": database["NAME"],
            "user": database.get("USER"),
            **{key: options.get(key) for key in LIBPQ_OPTIONS},
        }
        return cls(make_dsn(**{k: v for k, v in params.items() if v}), database.get("PASSWORD") or "", database["NAME"])

    @classmethod
    def from_url(cls, url: str) -> "Target":
        return cls.from_settings(environ.Env.db_url_config(url))

    def env(self) -> dict:
        return os.environ | ({"PGPASSWORD": self.password} if self.password else {})

    def connect(self):
        return psycopg2.connect(self.dsn, password=self.password or None)


def client(tool: str, *, needed: int, what: str) -> tuple[str, int]:
    """The path and major version of `tool` (pg_dump, pg_restore): from DATABASE_CLIENT_BIN_DIR (the embedded
    server's own) or PATH, and at least version `needed`."""
    folder = settings.DATABASE_CLIENT_BIN_DIR
    path = shutil.which(tool, path=str(folder) if folder else None)
    if path is None:
        raise BackupError(CLIENT_MISSING.format(tool=tool, where=folder or "PATH"))
    version = _run([path, "--version"], env=os.environ)
    found = int(re.search(r"\(PostgreSQL\) (\d+)", version).group(1))
    if found < needed:
        raise BackupError(CLIENT_TOO_OLD.format(tool=tool, found=found, path=path, what=what, needed=needed))
    return path, found


def _run(command: list[str], *, env: dict) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(TOOL_FAILED.format(tool=Path(command[0]).name, error=done.stderr.strip()))
    return done.stdout


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def count_rows(cursor) -> dict[str, int]:
    counts = {}
    for key, model in COUNTED.items():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(model._meta.db_table)))
        (counts[key],) = cursor.fetchone()
    return counts


def _stored_files(cursor) -> list[tuple[str, str, str]]:
    """(id, storage_name, sha256) of every attachment row."""
    cursor.execute(
        sql.SQL("SELECT id::text, storage_name, sha256 FROM {} ORDER BY storage_name").format(
            sql.Identifier(Attachment._meta.db_table)
        )
    )
    return cursor.fetchall()


def _storage_kind(storage) -> str:
    return FILESYSTEM if isinstance(storage, FileSystemStorage) else S3


def _where(storage, name: str = "") -> str:
    """Where a file (or, without a name, every file) of the attachments' storage is, as an operator looks."""
    if _storage_kind(storage) == FILESYSTEM:
        return storage.path(name)
    return f"{name or 'objects'} in the bucket {storage.bucket_name}"


def _file_entry(path: Path) -> dict:
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


@dataclass(frozen=True)
class Done:
    manifest: Path
    counts: dict[str, int]
    seconds: float


def backup_create(*, output: Path) -> Done:
    """Write oncodir-<time>.dump, attachments-<time>.tar (attachments on the filesystem only) and
    manifest-<time>.json into `output`."""
    started = time.monotonic()
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    dump, tar, manifest = (output / f"{kind}-{stamp}{ext}" for kind, ext in _NAMES)
    storage = Attachment.storage()
    storage_kind = _storage_kind(storage)
    tar = tar if storage_kind == FILESYSTEM else None
    created = []
    try:
        for path in (dump, tar, manifest) if tar else (dump, manifest):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # patient data: owner only
            created.append(path)
        source = Target.from_settings(settings.DATABASES["default"])
        connection = source.connect()
        try:
            connection.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
            with connection.cursor() as cursor:
                # pg_dump reads this transaction's snapshot: the dump, the counts and the files listed agree,
                # however busy the site is.
                cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')::int / 10000")
                snapshot, server = cursor.fetchone()
                pg_dump, pg_dump_version = client("pg_dump", needed=server, what=f"the server {source.name}")
                counts = count_rows(cursor)
                stored = _stored_files(cursor)
                database_settings = _database_settings(cursor)
                _run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={dump}",
                     f"--dbname={source.dsn}"],
                    env=source.env(),
                )  # fmt: skip
        finally:
            connection.close()
        if tar:
            _tar_attachments(tar, stored, storage)
        body = {
            "format": MANIFEST_FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": source.name,
            "server_version": server,
            "pg_dump_version": pg_dump_version,
            "counts": counts,
            "database_settings": database_settings,
            "attachment_storage": {"kind": storage_kind, **({} if tar else {"bucket": storage.bucket_name})},
            "files": {"dump": _file_entry(dump), **({"attachments": _file_entry(tar)} if tar else {})},
        }
        manifest.write_text(json.dumps(body, indent=2) + "\n")
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return Done(manifest, counts, time.monotonic() - started)


def _database_settings(cursor) -> list[str]:
    """The database's own session defaults ("name=value": ALTER DATABASE ... SET, such as migration
    common 0001's), which pg_dump leaves out of a dump of one database."""
    cursor.execute(
        "SELECT coalesce(setconfig, '{}') FROM pg_db_role_setting"
        " WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    found = cursor.fetchone()
    return list(found[0]) if found else []


def _set_database_settings(connection, database_settings: list[str]) -> None:
    with connection.cursor() as cursor:
        for setting in database_settings:
            name, value = setting.split("=", 1)
            cursor.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(connection.info.dbname), sql.Identifier(name), sql.Literal(value)
                )
            )


def _tar_attachments(tar: Path, stored, storage: FileSystemStorage) -> None:
    """The files of the attachment rows in the dump (not the whole folder: a file uploaded after the snapshot
    has no row there), named by their storage_name. Already compressed (PDF, PNG, JPEG): no gzip."""
    with tarfile.open(tar, "w") as archive:
        for attachment_id, storage_name, _ in stored:
            path = Path(storage.path(storage_name))
            if not path.is_file():  # deleted since the snapshot (a draft), or lost: either way, not a backup
                raise BackupError(FILE_MISSING.format(id=attachment_id, path=path) + ": run the backup again")
            archive.add(path, arcname=storage_name, recursive=False)


def find_manifest(source: Path) -> Path:
    """`source` itself, or the newest manifest in the folder `source`."""
    if source.is_file():
        return source
    found = sorted(source.glob("manifest-*.json"))
    if not found:
        raise BackupError(NO_MANIFEST.format(path=source))
    return found[-1]


def backup_restore(*, source: Path, database_url: str, role: str = "", app_role: str = "") -> Done:
    """Restore the backup `source` (a manifest, or a folder's newest) into the empty database at `database_url`
    and its tar's attachments into the attachments' storage, then check both against the manifest (on S3: that
    the bucket has every attachment row's object)."""
    started = time.monotonic()
    manifest_path = find_manifest(source)
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(NOT_A_MANIFEST.format(path=manifest_path, format=MANIFEST_FORMAT))
    files = {key: manifest_path.parent / entry["name"] for key, entry in manifest["files"].items()}
    for key, path in files.items():
        if not path.is_file():
            raise BackupError(PART_MISSING.format(name=path))
        if sha256_of(path) != manifest["files"][key]["sha256"]:
            raise BackupError(DAMAGED.format(name=path))
    storage = Attachment.storage()
    kept_on = manifest.get("attachment_storage", {"kind": FILESYSTEM})["kind"]
    if kept_on != _storage_kind(storage):
        raise BackupError(OTHER_STORAGE.format(backup=kept_on, here=_storage_kind(storage)))
    pg_restore, _ = client("pg_restore", needed=manifest["pg_dump_version"], what="the pg_dump that wrote the backup")
    target = Target.from_url(database_url)
    connection = target.connect()
    connection.autocommit = True
    try:
        _check_empty(connection, target)
        tar = files.get("attachments")
        members = _attachment_members(tar, storage) if tar else []
        _restore_dump(pg_restore, files["dump"], target, role)
        _set_database_settings(connection, manifest["database_settings"])
        if app_role:  # the grants migrate leaves (roles.psql's defaults gave the rest as the tables were made)
            with connection.cursor() as cursor:
                restrict_role(cursor, app_role)
        if tar:
            _extract(tar, members, storage)
        problems = _differences(connection, manifest["counts"], storage)
        with connection.cursor() as cursor:
            counts = count_rows(cursor)
    finally:
        connection.close()
    if problems:
        raise BackupError(MISMATCH.format(problems="; ".join(problems)))
    return Done(manifest_path, counts, time.monotonic() - started)


def _check_empty(connection, target: Target) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
               ORDER BY 1 LIMIT 6"""
        )
        tables = [name for (name,) in cursor.fetchall()]
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise BackupError(NOT_EMPTY.format(name=target.name, tables=shown))


def _attachment_members(tar: Path, storage) -> list[tarfile.TarInfo]:
    """The tar's files, each a plain file with a bare name (nothing lands outside the folder), none of them
    already in the storage."""
    with tarfile.open(tar) as archive:
        members = archive.getmembers()
    for member in members:
        if not member.isfile() or Path(member.name).name != member.name or member.name in ("", ".", ".."):
            raise BackupError(NOT_AN_ATTACHMENT.format(tar=tar, member=member.name))
    there = [member.name for member in members if storage.exists(member.name)]
    if there:
        raise BackupError(FILES_EXIST.format(count=len(there), folder=_where(storage), first=there[0]))
    return members


def _restore_dump(pg_restore: str, dump: Path, target: Target, role: str) -> None:
    """pg_restore in one transaction (a failure leaves the database empty). The objects belong to `role` (or
    the URL's user), whatever the source's roles were called; privileges come from this server's roles.psql
    defaults and restrict_role, as after a migrate, not from the dump."""
    entries = _run([pg_restore, "--list", str(dump)], env=os.environ)
    # A comment on an extension may be set by the extension's owner only: a superuser, for earthdistance.
    wanted = "".join(line for line in entries.splitlines(keepends=True) if " COMMENT - EXTENSION " not in line)
    with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
        listing.write(wanted)
        listing.flush()
        _run(
            [pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--no-password",
             *([f"--role={role}"] if role else []), f"--use-list={listing.name}", f"--dbname={target.dsn}", str(dump)],
            env=target.env(),
        )  # fmt: skip


def _extract(tar: Path, members: list[tarfile.TarInfo], storage) -> None:
    with tarfile.open(tar) as archive:
        for member in members:
            with archive.extractfile(member) as source:
                if storage.save(member.name, File(source)) != member.name:  # it would not overwrite one
                    raise BackupError(FILES_EXIST.format(count=1, folder=_where(storage), first=member.name))


def _differences(connection, expected: dict[str, int], storage) -> list[str]:
    """What the restored database and attachments' storage lack against the manifest: counts, then every
    attachment row's file and, on the filesystem, its SHA-256 (a bucket's objects are not read back)."""
    on_filesystem = _storage_kind(storage) == FILESYSTEM
    with connection.cursor() as cursor:
        found = count_rows(cursor)
        problems = [
            f"{key}: {expected.get(key)} in the backup, {found.get(key)} restored"
            for key in sorted(expected.keys() | found.keys())
            if expected.get(key) != found.get(key)
        ]
        for attachment_id, storage_name, digest in _stored_files(cursor):
            where = _where(storage, storage_name)
            if not storage.exists(storage_name):
                problems.append(FILE_MISSING.format(id=attachment_id, path=where))
            elif on_filesystem and sha256_of(Path(where)) != digest:
                problems.append(FILE_DIFFERS.format(id=attachment_id, path=where))
    return problems


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {key.replace('_', ' ')}" for key, count in counts.items())
