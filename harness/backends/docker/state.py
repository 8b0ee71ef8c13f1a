"""Per-project state kept outside the repository: generated secrets and the effective topology.

Secrets of the reference topology are made up at `oxh up` and kept in a
mode-600 file under the user's state directory (OXH_STATE_DIR, else
$XDG_STATE_HOME/oxh, else ~/.local/state/oxh), never in a file in git.
"""

from __future__ import annotations

import json
import os
import secrets as random
import shutil
from pathlib import Path

from pydantic import ValidationError

from harness.errors import UserError
from harness.models.topology import Topology

SECRET_NAMES = (
    "mysql_root",
    "mysql_replication",
    "mysql_app",
    "mysql_check",
    "mysql_dovecot",
    "imap_master",
    "admin_master",
)


def state_root() -> Path:
    if "OXH_STATE_DIR" in os.environ:
        return Path(os.environ["OXH_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "oxh"


def secret() -> str:
    """A random password that no command line takes for an option: it never starts with '-'."""
    value = random.token_urlsafe(18)
    while value.startswith("-"):
        value = random.token_urlsafe(18)
    return value


class ProjectState:
    def __init__(self, project: str):
        self.project = project
        self.dir = state_root() / project

    def secrets(self) -> dict[str, str]:
        """The project's secrets, made on first use."""
        path = self.dir / "secrets.json"
        if path.exists():
            return json.loads(path.read_text())
        values = {name: secret() for name in SECRET_NAMES}
        self._write(path, json.dumps(values, indent=2))
        return values

    def save_topology(self, topology: Topology) -> None:
        self._write(self.dir / "topology.json", topology.model_dump_json(indent=2))

    def topology(self) -> Topology | None:
        path = self.dir / "topology.json"
        if not path.exists():
            return None
        try:
            return Topology.model_validate_json(path.read_text())
        except ValidationError as exc:  # brought up by an older harness whose rules were looser
            problems = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
            raise UserError(f"project {self.project}: the topology it was brought up with is no longer valid: "
                            f"{problems}", hint=f"oxh down --project {self.project}, then oxh up again") from None

    def forget(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def _write(self, path: Path, text: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
