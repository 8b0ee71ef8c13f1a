"""Sessions: created at login, checked on every call, stored where every node sees them (or not).

With `sessions.storage: shared` a session lives in the configdb, so a node's
death costs its users nothing; `local` keeps them in this node's memory, as a
misconfigured cluster would, so that the harness can prove it notices.
Lookups of shared sessions are cached for a second to keep the hot path
fast. A session unused for `sessions.timeout_seconds` expires (SES-0203).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, fields
from typing import Protocol

from oxref import errors
from oxref.cache import TTLCache
from oxref.db import Database
from oxref.schema import CONFIGDB

CACHE_SECONDS = 1.0
TOUCH_EVERY_MS = 60_000  # last_active is written back at most this often per session


@dataclass
class Session:
    session_id: str
    secret: str
    alt_id: str
    cid: int
    user_id: int
    login: str
    client: str
    hash: str
    node: str
    created: int
    last_active: int


SESSION_COLUMNS = ", ".join(f.name for f in fields(Session))


def now_ms() -> int:
    return int(time.time() * 1000)


def cookie_hash(client: str, user_agent: str) -> str:
    """The `<hash>` of OX's cookie names: MD5 over User-Agent and client, Base64 without non-word characters."""
    digest = hashlib.md5(user_agent.encode() + client.encode()).digest()
    return re.sub(r"\W", "", base64.b64encode(digest).decode())


def jsessionid_for(route: str, current: str | None = None) -> str:
    """JSESSIONID=<number>.<route>: keep the client's when it already names this node, else make a new one."""
    if current and current.endswith("." + route) and current[: -len(route) - 1].isdigit():
        return current
    return f"{secrets.randbelow(10**18)}.{route}"


def new_session(cid: int, user_id: int, login: str, client: str, user_agent: str, node: str) -> Session:
    now = now_ms()
    return Session(
        session_id=secrets.token_hex(16),
        secret=secrets.token_hex(16),
        alt_id=secrets.token_hex(16),
        cid=cid,
        user_id=user_id,
        login=login,
        client=client,
        hash=cookie_hash(client, user_agent),
        node=node,
        created=now,
        last_active=now,
    )


def check_secret(session: Session, cookies: dict[str, str]) -> None:
    if cookies.get(f"open-xchange-secret-{session.hash}") != session.secret:
        raise errors.wrong_secret()


async def authenticate(store: "SessionStore", session_id: str, cookies: dict[str, str]) -> Session:
    """The session a call names, if its secret cookie matches; SES-0203 when it is gone, SES-0206 when the
    secret is wrong."""
    session = await store.get(session_id)
    if session is None:
        raise errors.session_expired(session_id)
    try:
        check_secret(session, cookies)
    except errors.OXException:
        # Another node's cache or the read side can hold a session for a moment after its logout, while the
        # client lost its secret cookie with it: ask the store itself before calling the secret wrong.
        if not await store.exists(session_id):
            raise errors.session_expired(session_id) from None
        raise
    return session


class SessionStore(Protocol):
    storage: str

    async def put(self, session: Session) -> None: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def exists(self, session_id: str) -> bool: ...
    async def remove(self, session_id: str) -> None: ...
    async def count(self) -> int: ...


class LocalSessions:
    """Sessions only this node knows."""

    storage = "local"

    def __init__(self, timeout_seconds: int):
        self.timeout_ms = timeout_seconds * 1000
        self.sessions: dict[str, Session] = {}

    async def put(self, session: Session) -> None:
        self.sessions[session.session_id] = session

    async def get(self, session_id: str) -> Session | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        now = now_ms()
        if now - session.last_active > self.timeout_ms:
            self.sessions.pop(session_id, None)
            return None
        session.last_active = now
        return session

    async def exists(self, session_id: str) -> bool:
        return session_id in self.sessions

    async def remove(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)

    async def remove_where(self, cid: int, user_id: int | None = None) -> None:
        for key, session in list(self.sessions.items()):
            if session.cid == cid and (user_id is None or session.user_id == user_id):
                self.sessions.pop(key, None)

    async def count(self) -> int:
        return len(self.sessions)


class SharedSessions:
    """Sessions in the configdb, visible to every node of the cluster."""

    storage = "shared"

    def __init__(self, db: Database, timeout_seconds: int):
        self.db = db
        self.timeout_ms = timeout_seconds * 1000
        self.cache = TTLCache(CACHE_SECONDS, size=100_000)
        self.touching: set[str] = set()

    async def put(self, session: Session) -> None:
        def insert(cursor):
            cursor.execute(
                f"INSERT INTO {CONFIGDB}.sessiond ({SESSION_COLUMNS}) VALUES ({', '.join(['%s'] * len(fields(Session)))})",
                [getattr(session, f.name) for f in fields(Session)],
            )

        await self.db.write(CONFIGDB, insert)
        self.cache.put(session.session_id, session)

    async def get(self, session_id: str) -> Session | None:
        session = await self.cache.get(session_id, lambda: self._load(session_id))
        if session is None:
            return None
        now = now_ms()
        if now - session.last_active > self.timeout_ms:
            self.cache.forget(session_id)
            await self.remove(session_id)
            return None
        if now - session.last_active > TOUCH_EVERY_MS and session_id not in self.touching:
            await self._touch(session, now)
        return session

    async def _load(self, session_id: str) -> Session | None:
        def select(cursor):
            cursor.execute(f"SELECT {SESSION_COLUMNS} FROM {CONFIGDB}.sessiond WHERE session_id = %s", (session_id,))
            return cursor.fetchone()

        row = await self.db.read(CONFIGDB, select)
        if row is None:
            # The read side may lag behind a login that just happened on another node.
            row = await self.db.read_master(CONFIGDB, select)
        return Session(**row) if row else None

    async def exists(self, session_id: str) -> bool:
        """Whether the session is still stored, asked of the write master past this node's cache."""
        def select(cursor):
            cursor.execute(f"SELECT 1 FROM {CONFIGDB}.sessiond WHERE session_id = %s", (session_id,))
            return cursor.fetchone() is not None

        found = await self.db.read_master(CONFIGDB, select)
        if not found:
            self.cache.forget(session_id)
        return found

    async def _touch(self, session: Session, now: int) -> None:
        self.touching.add(session.session_id)
        try:
            await self.db.write(CONFIGDB, lambda c: c.execute(
                f"UPDATE {CONFIGDB}.sessiond SET last_active = %s WHERE session_id = %s", (now, session.session_id)))
            session.last_active = now
        except errors.OXException:
            pass  # best effort: the next call tries again
        finally:
            self.touching.discard(session.session_id)

    async def remove(self, session_id: str) -> None:
        self.cache.forget(session_id)
        await self.db.write(CONFIGDB, lambda c: c.execute(
            f"DELETE FROM {CONFIGDB}.sessiond WHERE session_id = %s", (session_id,)))

    async def remove_where(self, cid: int, user_id: int | None = None) -> None:
        """Sessions of a deleted context or user (the provisioning code removes the rows itself)."""
        for key, (_, session) in list(self.cache.entries.items()):
            if session is not None and session.cid == cid and (user_id is None or session.user_id == user_id):
                self.cache.forget(key)

    async def count(self) -> int:
        def select(cursor):
            cursor.execute(f"SELECT COUNT(*) AS n FROM {CONFIGDB}.sessiond WHERE last_active > %s",
                           (now_ms() - self.timeout_ms,))
            return cursor.fetchone()["n"]

        return await self.db.read(CONFIGDB, select)
