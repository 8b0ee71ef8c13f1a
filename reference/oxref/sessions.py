"""Sessions: created at login, checked on every call, stored where every node sees them (or not).

With `sessions.storage: shared` a session lives in the configdb, so a node's
death costs its users nothing; `local` keeps them in this node's memory, as a
misconfigured cluster would, so that the harness can prove it notices.
Lookups of shared sessions are cached for a second to keep the hot path fast.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from oxref import errors
from oxref.db import Database
from oxref.schema import CONFIGDB

CACHE_SECONDS = 1.0


@dataclass(frozen=True)
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


def cookie_hash(client: str, user_agent: str) -> str:
    """The `<hash>` of OX's cookie names, derived from client and User-Agent."""
    return hashlib.md5(f"{client}\0{user_agent}".encode()).hexdigest()


def new_session(cid: int, user_id: int, login: str, client: str, user_agent: str, node: str) -> Session:
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
        created=int(time.time() * 1000),
    )


class SessionStore(Protocol):
    async def put(self, session: Session) -> None: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def remove(self, session_id: str) -> None: ...
    async def count(self) -> int: ...


class LocalSessions:
    """Sessions only this node knows."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    async def put(self, session: Session) -> None:
        self.sessions[session.session_id] = session

    async def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def remove(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)

    async def count(self) -> int:
        return len(self.sessions)


class SharedSessions:
    """Sessions in the configdb, visible to every node of the cluster."""

    def __init__(self, db: Database):
        self.db = db
        self.cache: dict[str, tuple[float, Session]] = {}

    async def put(self, session: Session) -> None:
        def insert(cursor):
            now = int(time.time() * 1000)
            cursor.execute(
                f"INSERT INTO {CONFIGDB}.sessiond (session_id, secret, alt_id, cid, user_id, login, client, hash, node,"
                " created, last_active) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (session.session_id, session.secret, session.alt_id, session.cid, session.user_id, session.login,
                 session.client, session.hash, session.node, session.created, now),
            )

        await self.db.write(CONFIGDB, insert)
        self.cache[session.session_id] = (time.monotonic(), session)

    async def get(self, session_id: str) -> Session | None:
        cached = self.cache.get(session_id)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]

        def select(cursor):
            cursor.execute(
                f"SELECT session_id, secret, alt_id, cid, user_id, login, client, hash, node, created "
                f"FROM {CONFIGDB}.sessiond WHERE session_id = %s",
                (session_id,),
            )
            return cursor.fetchone()

        row = await self.db.read(CONFIGDB, select)
        if row is None:
            # The read side may lag behind a login that just happened on another node.
            row = await self.db.call(self.db.run, self.db.write_pool, lambda conn: _select_on(conn, session_id))
        if row is None:
            self.cache.pop(session_id, None)
            return None
        session = Session(**row)
        self.cache[session_id] = (time.monotonic(), session)
        return session

    async def remove(self, session_id: str) -> None:
        self.cache.pop(session_id, None)
        await self.db.write(CONFIGDB, lambda c: c.execute(f"DELETE FROM {CONFIGDB}.sessiond WHERE session_id = %s", (session_id,)))

    async def count(self) -> int:
        def select(cursor):
            cursor.execute(f"SELECT COUNT(*) AS n FROM {CONFIGDB}.sessiond")
            return cursor.fetchone()["n"]

        return await self.db.read(CONFIGDB, select)


def _select_on(conn, session_id: str):
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT session_id, secret, alt_id, cid, user_id, login, client, hash, node, created "
            f"FROM {CONFIGDB}.sessiond WHERE session_id = %s",
            (session_id,),
        )
        return cursor.fetchone()


def check_secret(session: Session, cookies: dict[str, str]) -> None:
    if cookies.get(f"open-xchange-secret-{session.hash}") != session.secret:
        raise errors.wrong_secret()
