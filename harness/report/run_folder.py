"""A run folder (reports/<run-id>/): a new run's, with its id; reading what `oxh qualify` wrote, judging it,
finding earlier runs."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report import inventory
from harness.report.requirement_catalogue import load_catalogue
from harness.report.verdict import RunVerdict, judge


def reports_dir() -> Path:
    """OXH_REPORTS_DIR, else reports/ in the folder `oxh` runs in."""
    return Path(os.environ.get("OXH_REPORTS_DIR") or Path.cwd() / "reports")


@dataclass(frozen=True)
class RunFolder:
    """The folder of one run of `oxh qualify`, `oxh load` or `oxh size`; each record is written into it once."""

    path: Path

    @classmethod
    def new(cls) -> "RunFolder":
        """A new run's folder, made: its name, the run id, is the start time and four hex digits, so that runs
        sort by time and two started in one second stay apart."""
        path = reports_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
        path.mkdir(parents=True)
        return cls(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    def part(self, name: str) -> Path:
        """The sub-folder of one part of the run (load/, sizing/), made."""
        folder = self.path / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def write(self, name: str, text: str) -> Path:
        """Write a record of the run; a record written twice is a defect of the caller."""
        path = self.path / name
        if path.exists():
            raise FileExistsError(f"{path} is written already: a run writes each record once")
        path.write_text(text)
        return path


def find_run(run: str) -> Path:
    """A run folder by path or by run id under the reports folder."""
    folder = Path(run) if Path(run).is_dir() else reports_dir() / run
    if not folder.is_dir():
        known = [path.name for path in runs()][-5:]
        raise UserError(f"no run folder {run!r}", f"give one of: {', '.join(known) or 'none yet (run oxh qualify)'}")
    return folder


def load(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(run.json, results.json) of a folder, or a UserError naming what is missing."""
    try:
        return json.loads((folder / "run.json").read_text()), json.loads((folder / "results.json").read_text())
    except FileNotFoundError as exc:
        raise UserError(f"{folder} is not a complete run folder ({Path(exc.filename).name} is missing)",
                        "give a folder written by `oxh qualify`") from None


def verdict_of(folder: Path) -> RunVerdict:
    """The folder's verdict, judged against the tests the run was meant to run where the folder lists them."""
    run, results = load(folder)
    return judge(results, run, load_catalogue(), inventory.read(folder))


def runs() -> list[Path]:
    """Every run folder, oldest first (run ids start with their date and time)."""
    folder = reports_dir()
    return sorted(path for path in folder.iterdir() if (path / "run.json").exists()) if folder.is_dir() else []
