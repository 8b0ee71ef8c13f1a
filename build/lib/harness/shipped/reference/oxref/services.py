"""Everything a request handler reaches: configuration, database, sessions, mail, filestore, metrics."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from oxref.cache import TTLCache
from oxref.config import Config
from oxref.db import Database
from oxref.filestore import Filestore
from oxref.health import HealthChecker
from oxref.mailstore import MailStore
from oxref.metrics import Metrics
from oxref.provisioning import Provisioning, bootstrap_configdb
from oxref.sessions import LocalSessions, SharedSessions

log = logging.getLogger("oxref")
T = TypeVar("T")
BOOTSTRAP_RETRY = 2.0


class Services:
    def __init__(self, config: Config):
        self.config = config
        self.db = Database(config)
        self.sessions = (SharedSessions(self.db, config.session_timeout) if config.shared_sessions
                         else LocalSessions(config.session_timeout))
        self.health = HealthChecker(config)
        self.provisioning = Provisioning(config, self.db)
        self.filestore = Filestore(config.filestore_path)
        self.mail = MailStore(config)
        self.metrics = Metrics(config.node)
        self.cpu = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cpu")
        self.ready = asyncio.Event()
        self.users = TTLCache(seconds=5.0)
        self.default_folders = TTLCache(seconds=5.0)

    async def user(self, cid: int, user_id: int) -> dict:
        """The user's row, cached briefly: it is read on nearly every call."""
        return await self.users.get(
            (cid, user_id), lambda: self.db.call(self.provisioning.get_user, cid, user_id)
        )

    async def call_cpu(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.cpu, function, *args)

    async def bootstrap(self) -> None:
        """Create the configdb tables once the database answers; keep trying, never exit."""
        while True:
            try:
                await self.db.call(self.db.run, self.db.write_pool, lambda conn: bootstrap_configdb(conn, self.config))
                self.ready.set()
                log.info("configdb ready on %s", self.config.db["write_host"])
                return
            except Exception as exc:
                log.warning("configdb not ready yet: %s", exc)
                await asyncio.sleep(BOOTSTRAP_RETRY)
