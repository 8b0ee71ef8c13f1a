"""Contexts and users: what the SOAP services and the command-line tools create, list and delete.

A context gets a row in the configdb, a login mapping, its own user schema
`oxdatabase_<cid>` with system folders, and a store on the filestore; a
user gets a row in the context's schema, default folders, and a mail account
(a row in configdb.mail_user that Dovecot authenticates against).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from oxref import errors, passwords
from oxref.config import Config
from oxref.db import Database
from oxref.schema import CONFIGDB, CONTEXT_TABLES, DEFAULT_FOLDERS, SYSTEM_FOLDERS, schema_name

NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class UserData:
    name: str
    display_name: str = ""
    password: str = ""
    given_name: str = ""
    sur_name: str = ""
    primary_email: str = ""
    language: str = "en_US"
    timezone: str = "Europe/Berlin"
    id: int | None = None


@dataclass
class ContextData:
    id: int
    name: str = ""
    login_mappings: list[str] = field(default_factory=list)
    max_quota: int = -1
    enabled: bool = True


def now_ms() -> int:
    return int(time.time() * 1000)


class Provisioning:
    def __init__(self, config: Config, db: Database):
        self.config = config
        self.db = db

    def store_path(self, cid: int) -> Path:
        return self.config.filestore_path / f"{cid}_ctx_store"

    # -- contexts -----------------------------------------------------------------

    def create_context(self, context: ContextData, admin: UserData) -> ContextData:
        if context.id <= 0:
            raise errors.invalid_parameter("context id", context.id)
        context.name = context.name or str(context.id)
        if not NAME.match(context.name):
            raise errors.invalid_parameter("context name", context.name)
        schema = schema_name(context.id)
        mappings = sorted({context.name, str(context.id), *context.login_mappings})

        def register(cursor):
            cursor.execute(f"SELECT 1 FROM {CONFIGDB}.context WHERE cid = %s OR name = %s", (context.id, context.name))
            if cursor.fetchone():
                raise errors.OXException("CTX-0001", errors.CONFLICT, "Context %s already exists", context.id)
            cursor.execute(
                f"INSERT INTO {CONFIGDB}.context (cid, name, enabled, filestore_id, db_schema, quota_max, created)"
                " VALUES (%s, %s, 1, 1, %s, %s, %s)",
                (context.id, context.name, schema, context.max_quota, now_ms()),
            )
            cursor.execute(
                f"INSERT INTO {CONFIGDB}.context_server2db_pool (cid, server_id, write_db_pool_id, read_db_pool_id,"
                " db_schema) VALUES (%s, 1, 1, 2, %s)",
                (context.id, schema),
            )
            for mapping in mappings:
                cursor.execute(f"INSERT INTO {CONFIGDB}.login2context (login_info, cid) VALUES (%s, %s)", (mapping, context.id))

        try:
            self.db.write_sync(CONFIGDB, register)
        except pymysql.err.IntegrityError as exc:
            raise errors.OXException("CTX-0001", errors.CONFLICT, "Context or login mapping exists: %s", exc.args[-1]) from None
        try:
            self.db.run(self.db.write_pool, lambda conn: _create_schema(conn, schema))
            self.store_path(context.id).mkdir(parents=True, exist_ok=True)
            admin.name = admin.name or "oxadmin"
            self.create_user(context.id, admin, is_admin=True)
        except Exception:
            try:  # leave no half-made context behind
                self.delete_context(context.id)
            except Exception:
                pass
            raise
        context.login_mappings = mappings
        return context

    def delete_context(self, cid: int) -> None:
        self.get_context(cid)
        try:
            emails = [user["email"] for user in self.list_users(cid, "*")]
        except pymysql.err.MySQLError:  # a context whose schema was never completed
            emails = []

        def unregister(cursor):
            cursor.execute(f"DELETE FROM {CONFIGDB}.login2context WHERE cid = %s", (cid,))
            cursor.execute(f"DELETE FROM {CONFIGDB}.context_server2db_pool WHERE cid = %s", (cid,))
            cursor.execute(f"DELETE FROM {CONFIGDB}.sessiond WHERE cid = %s", (cid,))
            cursor.execute(f"DELETE FROM {CONFIGDB}.context WHERE cid = %s", (cid,))
            for email in emails:
                cursor.execute(f"DELETE FROM {CONFIGDB}.mail_user WHERE email = %s", (email,))

        self.db.write_sync(CONFIGDB, unregister)
        self.db.run(self.db.write_pool, lambda conn: conn.cursor().execute(f"DROP DATABASE IF EXISTS `{schema_name(cid)}`"))
        _remove_tree(self.store_path(cid))

    def get_context(self, cid: int) -> dict:
        def select(cursor):
            cursor.execute(f"SELECT cid, name, enabled, quota_max FROM {CONFIGDB}.context WHERE cid = %s", (cid,))
            row = cursor.fetchone()
            if row:
                cursor.execute(f"SELECT login_info FROM {CONFIGDB}.login2context WHERE cid = %s", (cid,))
                row["login_mappings"] = sorted(r["login_info"] for r in cursor.fetchall())
            return row

        row = self.db.read_sync(CONFIGDB, select)
        if not row:
            raise errors.OXException("CTX-0002", errors.USER_INPUT, "Context %s does not exist", cid)
        return row

    def list_contexts(self, pattern: str) -> list[dict]:
        like = _like(pattern)

        def select(cursor):
            cursor.execute(
                f"SELECT cid FROM {CONFIGDB}.context WHERE name LIKE %s OR CAST(cid AS CHAR) LIKE %s ORDER BY cid",
                (like, like),
            )
            return [row["cid"] for row in cursor.fetchall()]

        return [self.get_context(cid) for cid in self.db.read_sync(CONFIGDB, select)]

    def context_of_login(self, login: str) -> tuple[int, str]:
        """'user@mapping' (or 'user' with the default context) -> (cid, user name)."""
        name, _, mapping = login.rpartition("@")
        if not name:
            name, mapping = login, "defaultcontext"

        def select(cursor):
            cursor.execute(f"SELECT cid FROM {CONFIGDB}.login2context WHERE login_info = %s", (mapping,))
            return cursor.fetchone()

        row = self.db.read_sync(CONFIGDB, select)
        if not row:
            raise errors.invalid_credentials()
        return row["cid"], name

    # -- users --------------------------------------------------------------------

    def create_user(self, cid: int, user: UserData, is_admin: bool = False) -> UserData:
        if not NAME.match(user.name or ""):
            raise errors.invalid_parameter("name", user.name)
        if not user.password:
            raise errors.missing_parameter("password")
        user.primary_email = user.primary_email or f"{user.name}.c{cid}@{self.config.mail_domain}"
        if not EMAIL.match(user.primary_email):
            raise errors.invalid_parameter("primaryEmail", user.primary_email)
        user.display_name = user.display_name or " ".join(filter(None, (user.given_name, user.sur_name))) or user.name
        self.get_context(cid)
        schema = schema_name(cid)
        created = now_ms()
        hashed = passwords.ssha512(user.password)

        def insert(cursor):
            cursor.execute(f"SELECT 1 FROM `{schema}`.user WHERE name = %s", (user.name,))
            if cursor.fetchone():
                raise errors.OXException("USR-0001", errors.CONFLICT, "User %s already exists in context %s", user.name, cid)
            cursor.execute(f"SELECT COALESCE(MAX(id), 1) + 1 AS next FROM `{schema}`.user FOR UPDATE")
            user.id = user.id or cursor.fetchone()["next"]
            cursor.execute(
                f"INSERT INTO `{schema}`.user (id, name, display_name, given_name, sur_name, email, password, language,"
                " timezone, is_admin, created) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (user.id, user.name, user.display_name, user.given_name, user.sur_name, user.primary_email, hashed,
                 user.language, user.timezone, int(is_admin), created),
            )
            for module, name, parent, kind in DEFAULT_FOLDERS:
                cursor.execute(
                    f"INSERT INTO `{schema}`.folder (parent, name, module, owner, type, standard, created, last_modified)"
                    " VALUES (%s, %s, %s, %s, %s, 1, %s, %s)",
                    (parent, name, module, user.id, kind, created, created),
                )

        try:
            self.db.write_sync(schema, insert)
        except pymysql.err.IntegrityError:
            raise errors.OXException("USR-0001", errors.CONFLICT, "User %s already exists in context %s", user.name, cid) from None
        try:
            self.db.write_sync(CONFIGDB, lambda c: c.execute(
                f"INSERT INTO {CONFIGDB}.mail_user (email, password, active) VALUES (%s, %s, 1)", (user.primary_email, hashed)))
        except pymysql.err.IntegrityError:
            self._delete_user_rows(cid, user.id)
            raise errors.OXException("USR-0003", errors.CONFLICT, "The mail address %s is taken", user.primary_email) from None
        except Exception:
            self._delete_user_rows(cid, user.id)
            raise
        return user

    def _delete_user_rows(self, cid: int, user_id: int) -> None:
        schema = schema_name(cid)

        def delete(cursor):
            cursor.execute(f"DELETE FROM `{schema}`.folder WHERE owner = %s", (user_id,))
            cursor.execute(f"DELETE FROM `{schema}`.user WHERE id = %s", (user_id,))

        try:
            self.db.write_sync(schema, delete)
        except Exception:
            pass

    def delete_user(self, cid: int, user_id: int) -> None:
        user = self.get_user(cid, user_id)
        schema = schema_name(cid)

        def delete(cursor):
            cursor.execute(f"DELETE FROM `{schema}`.folder WHERE owner = %s", (user_id,))
            cursor.execute(f"DELETE FROM `{schema}`.user WHERE id = %s", (user_id,))

        self.db.write_sync(schema, delete)
        self.db.write_sync(CONFIGDB, lambda c: c.execute(
            f"DELETE FROM {CONFIGDB}.mail_user WHERE email = %s", (user["email"],)))
        self.db.write_sync(CONFIGDB, lambda c: c.execute(
            f"DELETE FROM {CONFIGDB}.sessiond WHERE cid = %s AND user_id = %s", (cid, user_id)))

    def get_user(self, cid: int, user_id: int | None = None, name: str | None = None) -> dict:
        schema = schema_name(cid)

        def select(cursor):
            if user_id is not None:
                cursor.execute(f"SELECT * FROM `{schema}`.user WHERE id = %s", (user_id,))
            else:
                cursor.execute(f"SELECT * FROM `{schema}`.user WHERE name = %s", (name,))
            return cursor.fetchone()

        row = self.db.read_sync(schema, select)
        if not row:
            raise errors.OXException("USR-0002", errors.USER_INPUT, "User %s does not exist in context %s", user_id or name, cid)
        return row

    def list_users(self, cid: int, pattern: str) -> list[dict]:
        self.get_context(cid)
        schema = schema_name(cid)

        def select(cursor):
            cursor.execute(
                f"SELECT * FROM `{schema}`.user WHERE name LIKE %s OR display_name LIKE %s ORDER BY id",
                (_like(pattern), _like(pattern)),
            )
            return cursor.fetchall()

        return self.db.read_sync(schema, select)

    def authenticate(self, login: str, password: str) -> tuple[int, dict]:
        cid, name = self.context_of_login(login)
        try:
            user = self.get_user(cid, name=name)
        except errors.OXException:
            raise errors.invalid_credentials() from None
        if not passwords.verify(password, user["password"]):
            raise errors.invalid_credentials()
        return cid, user

    def check_admin(self, cid: int, login: str, password: str) -> None:
        """Context admin (or master admin) credentials for OXUserService."""
        if self.is_master(login, password):
            return
        try:
            user = self.get_user(cid, name=login)
        except errors.OXException:
            raise _auth_failed() from None
        if not user["is_admin"] or not passwords.verify(password, user["password"]):
            raise _auth_failed()

    def is_master(self, login: str, password: str) -> bool:
        return bool(self.config.admin_password) and login == self.config.admin_login and password == self.config.admin_password


def _auth_failed() -> errors.OXException:
    return errors.OXException("ADM-0001", errors.PERMISSION_DENIED, "Authentication failed")


def _like(pattern: str) -> str:
    pattern = (pattern or "*").replace("%", r"\%").replace("_", r"\_")
    return pattern.replace("*", "%")


def _create_schema(conn, schema: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{schema}` CHARACTER SET utf8mb4")
        for statement in CONTEXT_TABLES:
            cursor.execute(statement.replace("CREATE TABLE IF NOT EXISTS ", f"CREATE TABLE IF NOT EXISTS `{schema}`.")
                           .replace("INSERT IGNORE INTO ", f"INSERT IGNORE INTO `{schema}`."))
        created = now_ms()
        for folder_id, parent, name, module, owner, kind in SYSTEM_FOLDERS:
            cursor.execute(
                f"INSERT IGNORE INTO `{schema}`.folder (id, parent, name, module, owner, type, standard, created,"
                " last_modified) VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s)",
                (folder_id, parent, name, module, owner, kind, created, created),
            )


def _remove_tree(path: Path) -> None:
    if not path.exists():
        return
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    path.rmdir()


def bootstrap_configdb(conn, config: Config) -> None:
    """Create the configdb tables and register this installation's server, filestore and db pools."""
    from oxref.schema import CONFIGDB_TABLES

    with conn.cursor() as cursor:
        for statement in CONFIGDB_TABLES:
            cursor.execute(statement.replace("CREATE TABLE IF NOT EXISTS ", f"CREATE TABLE IF NOT EXISTS {CONFIGDB}.")
                           .replace("INSERT IGNORE INTO ", f"INSERT IGNORE INTO {CONFIGDB}."))
        cursor.execute(f"INSERT IGNORE INTO {CONFIGDB}.server (server_id, name) VALUES (1, 'oxserver')")
        cursor.execute(
            f"INSERT IGNORE INTO {CONFIGDB}.filestore (id, uri, size, max_context) VALUES (1, %s, 1000000, 5000)",
            (f"file:{config.filestore['path']}",),
        )
        db = config.db
        cursor.execute(
            f"INSERT IGNORE INTO {CONFIGDB}.db_pool (db_pool_id, url, name, read_url) VALUES (1, %s, 'oxdb_write', %s)",
            (f"jdbc:mysql://{db['write_host']}/", f"jdbc:mysql://{db['read_host']}/"),
        )
        cursor.execute(
            f"INSERT IGNORE INTO {CONFIGDB}.db_pool (db_pool_id, url, name, read_url) VALUES (2, %s, 'oxdb_read', %s)",
            (f"jdbc:mysql://{db['read_host']}/", f"jdbc:mysql://{db['read_host']}/"),
        )
