"""Node configuration: a JSON file (OXH_MIDDLEWARE_CONFIG) plus secrets from the environment."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("oxref.config")
DEFAULT_PATH = "/etc/oxh/middleware.json"
REQUIRED = {"node": str, "route": str, "listen_port": int, "db": dict, "imap": dict, "smtp": dict, "filestore": dict}


class ConfigError(Exception):
    """The configuration file is missing or malformed; the message says which key and how to mend it."""


@dataclass(frozen=True)
class Config:
    node: str
    route: str
    listen_port: int
    db: dict
    imap: dict
    smtp: dict
    filestore: dict
    pools: list[str] = field(default_factory=lambda: ["oxcluster"])
    sessions: dict = field(default_factory=lambda: {"storage": "shared", "timeout_seconds": 3600})
    workers: int | str = "auto"  # worker processes: a number, or "auto" (the CPU quota, rounded up)
    mail_domain: str = "ox.test"
    db_password: str = field(repr=False, default="")
    imap_master_password: str = field(repr=False, default="")
    admin_login: str = "oxadminmaster"
    admin_password: str = field(repr=False, default="")

    @property
    def filestore_path(self) -> Path:
        return Path(self.filestore["path"])

    @property
    def shared_sessions(self) -> bool:
        return self.sessions.get("storage", "shared") == "shared"

    @property
    def session_timeout(self) -> int:
        return int(self.sessions.get("timeout_seconds", 3600))


def parse(data: dict, source: str = "the configuration") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object")
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise ConfigError(f"{source}: key {key!r} is missing or not a {kind.__name__}")
    known = {f for f in Config.__dataclass_fields__} - {"db_password", "imap_master_password", "admin_login",
                                                          "admin_password"}
    unknown = sorted(set(data) - known)
    if unknown:
        log.warning("%s: ignoring unknown keys %s", source, unknown)
        data = {key: value for key, value in data.items() if key in known}
    for key, sub in (("db", "write_host"), ("db", "read_host"), ("db", "user"), ("imap", "hosts"),
                     ("imap", "master_user"), ("smtp", "host"), ("filestore", "path")):
        if sub not in data[key]:
            raise ConfigError(f"{source}: key {key}.{sub} is missing")
    storage = data.get("sessions", {}).get("storage", "shared")
    if storage not in ("shared", "local"):
        raise ConfigError(f"{source}: sessions.storage must be 'shared' or 'local', not {storage!r}")
    workers = data.get("workers", "auto")
    if workers != "auto" and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"{source}: workers must be a number from 1 or 'auto', not {workers!r}")
    if storage == "local" and workers not in (1, "auto"):
        raise ConfigError(f"{source}: sessions.storage 'local' keeps sessions in one process's memory, so it needs "
                          f"workers: 1, not {workers}")
    return Config(
        **data,
        db_password=os.environ.get("OXH_DB_PASSWORD", ""),
        imap_master_password=os.environ.get("OXH_IMAP_MASTER_PASSWORD", ""),
        admin_login=os.environ.get("OX_MASTER_ADMIN", "oxadminmaster"),
        admin_password=os.environ.get("OX_MASTER_PASSWORD", ""),
    )


def load(path: str | None = None) -> Config:
    path = path or os.environ.get("OXH_MIDDLEWARE_CONFIG", DEFAULT_PATH)
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; set OXH_MIDDLEWARE_CONFIG to the node's JSON file") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    return parse(data, path)
