"""Blobs on the shared filestore (`<path>/<cid>_ctx_store/…`), each call bounded in time.

The filestore is an NFS mount that blocks while its server is away, so file
work runs on its own threads: a hung filestore makes callers fail with
FLS-0017 (SERVICE_DOWN) after a few seconds instead of starving the
database threads.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

from oxref import budget, errors

T = TypeVar("T")
CALL_TIMEOUT = 4.5


class Filestore:
    def __init__(self, root: Path):
        self.root = root
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="filestore")

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        try:
            return await budget.on_threads("filestore", self.executor, CALL_TIMEOUT, function, *args)
        except ConnectionError as exc:
            raise errors.filestore_down(str(exc)) from None
        except FileNotFoundError as exc:
            raise errors.OXException("FLS-0019", errors.ERROR, "The file %s is missing from the filestore",
                                     exc.filename or "") from None
        except OSError as exc:
            raise errors.filestore_down(exc.strerror or str(exc)) from None

    def _store(self, cid: int) -> Path:
        """The context's store; its absence means the filestore is not mounted (or lost the context)."""
        store = self.root / f"{cid}_ctx_store"
        if not store.is_dir():
            raise ConnectionError(f"{store} is missing: is the filestore mounted?")
        return store

    def write(self, cid: int, data: bytes) -> tuple[str, str]:
        """Store a blob; returns its path relative to the context store and its MD5."""
        name = uuid.uuid4().hex
        relative = f"{name[:2]}/{name[2:4]}/{name}"
        target = self._store(cid) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(target)
        return relative, hashlib.md5(data).hexdigest()

    def read(self, cid: int, relative: str) -> bytes:
        return (self._store(cid) / relative).read_bytes()

    def delete(self, cid: int, relative: str) -> None:
        (self._store(cid) / relative).unlink(missing_ok=True)
