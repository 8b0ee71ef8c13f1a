"""Node configuration: a JSON file (OXH_MIDDLEWARE_CONFIG) plus secrets from the environment."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Config:
    node: str
    route: str
    listen_port: int
    pools: list[str]
    db: dict
    imap: dict
    smtp: dict
    filestore: dict
    sessions: dict
    mail_domain: str
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


def load(path: str | None = None) -> Config:
    path = path or os.environ.get("OXH_MIDDLEWARE_CONFIG", "/etc/oxh/middleware.json")
    data = json.loads(Path(path).read_text())
    return Config(
        **data,
        db_password=os.environ.get("OXH_DB_PASSWORD", ""),
        imap_master_password=os.environ.get("OXH_IMAP_MASTER_PASSWORD", ""),
        admin_login=os.environ.get("OX_MASTER_ADMIN", "oxadminmaster"),
        admin_password=os.environ.get("OX_MASTER_PASSWORD", ""),
    )
