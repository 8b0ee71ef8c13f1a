"""Which Chromium the frontend suite drives, its version, and whether the pinned Playwright can drive it.

Playwright's own browser download does not work on these machines, so it
drives Debian's `chromium` (or `chromium-headless-shell`) through
`executable_path`. The Chromium it was built against is in the
`browsers.json` it ships; a Chromium many major versions older speaks a
DevTools protocol Playwright no longer knows, so it is refused with both
versions named.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path

# The headless shell first: lighter and quicker to start for headless runs.
CANDIDATES = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium", "/usr/bin/chromium",
              "/usr/bin/chromium-headless-shell")
ENV = "OXH_CHROMIUM"
# Playwright drives Chromium over the DevTools protocol, which keeps older commands for a few releases.
MAX_MAJORS_BEHIND = 5
INSTALL = "apt-get install chromium chromium-headless-shell"
VERSION_TIMEOUT = 20.0
# Flags that keep Chromium from reaching out on its own (updates, sync, QUIC probes) and from needing a GPU.
QUIET_ARGS = ("--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync")


class BrowserUnavailable(Exception):
    """No Chromium the pinned Playwright can drive: the message says what was found and how to mend it."""


@dataclass(frozen=True)
class Expected:
    """The Chromium the installed Playwright was built against."""

    playwright: str
    browser_version: str
    revision: str

    def describe(self) -> str:
        return f"Playwright {self.playwright} expects Chromium {self.browser_version} (revision {self.revision})"


@dataclass(frozen=True)
class Chromium:
    path: str
    version: str
    expected: Expected

    def describe(self) -> str:
        return f"Chromium {self.version} at {self.path}; {self.expected.describe()}"


def expected() -> Expected:
    """From the browsers.json inside the installed playwright package."""
    import playwright

    data = json.loads((Path(playwright.__file__).parent / "driver" / "package" / "browsers.json").read_text())
    entry = next(browser for browser in data["browsers"] if browser["name"] == "chromium")
    try:
        pinned = package_version("playwright")
    except PackageNotFoundError:
        pinned = "?"
    return Expected(pinned, entry["browserVersion"], entry["revision"])


def find_chromium(configured: str | None = None) -> str:
    """The executable: the one configured (--chromium or OXH_CHROMIUM), else the first Debian path present."""
    wanted = configured or os.environ.get(ENV)
    if wanted:
        if not (Path(wanted).is_file() and os.access(wanted, os.X_OK)):
            source = "--chromium" if configured else ENV
            raise BrowserUnavailable(f"no Chromium at {wanted} (named by {source}): the frontend suite drives a "
                                     f"local Chromium; {INSTALL}, or name an existing one")
        return wanted
    for path in CANDIDATES:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    raise BrowserUnavailable(f"no Chromium on this machine (looked at {', '.join(CANDIDATES)}): the frontend suite "
                             f"drives Debian's chromium; {INSTALL}, or set {ENV} to one")


def version_of(path: str) -> str:
    """`chromium --version` -> '156.0.8078.114'."""
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserUnavailable(f"{path} does not start: {exc}") from None
    found = parse_version(result.stdout)
    if found is None:
        raise BrowserUnavailable(f"{path} did not say its version (`{path} --version` printed "
                                 f"{(result.stdout + result.stderr).strip()[:200]!r}): is it a Chromium?")
    return found


def parse_version(text: str) -> str | None:
    match = re.search(r"(?:Chromium|Chrome|HeadlessChrome)[^\d]*(\d+\.\d+\.\d+\.\d+)", text or "")
    return match.group(1) if match else None


def too_old(found: str, wanted: Expected, path: str = "") -> str | None:
    """Why this Chromium is too old for the pinned Playwright, naming both versions; None when it will do."""
    oldest = int(wanted.browser_version.split(".")[0]) - MAX_MAJORS_BEHIND
    if int(found.split(".")[0]) >= oldest:
        return None
    where = f" at {path}" if path else ""
    return (f"Chromium {found}{where} is too old for the pinned Playwright: {wanted.describe()} and drives "
            f"Chromium {oldest} or newer; install a newer chromium ({INSTALL} from bookworm-security) "
            f"or set {ENV} to one")


def check(configured: str | None = None) -> Chromium:
    """The Chromium to drive, checked; BrowserUnavailable says what is wrong."""
    path = find_chromium(configured)
    found = version_of(path)
    wanted = expected()
    problem = too_old(found, wanted, path)
    if problem:
        raise BrowserUnavailable(problem)
    return Chromium(path, found, wanted)


def launch_args(chromium: Chromium, headless: bool = True) -> dict:
    """Keyword arguments for BrowserType.launch: the executable, and no sandbox for root (it refuses one)."""
    args = list(QUIET_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return {"executable_path": chromium.path, "args": args, "headless": headless}
