"""pytest fixtures of the browser, on top of pytest-playwright's.

pytest-playwright gives `browser`, `new_context`, `context` and `page`;
here its `browser_type_launch_args` launch the checked Chromium (no
Playwright download), `base_url` is the target's UI (the balancer VIP +
/appsuite/, or `--ui-url`), and contexts speak English (the page objects
find elements by their English labels). A Chromium that is missing or too
old skips every browser test with one reason, so their requirements are
*not run* with it, and no browser is started. In a run with a report
folder, a failing test keeps a screenshot and a Playwright trace, which the
report attaches. This module is registered by the oxh plugin after
pytest-playwright, so that its fixtures take precedence.
"""

from __future__ import annotations

import shutil
import tempfile
import time

import pytest

from harness.browser.chromium import BrowserUnavailable, Chromium, check, launch_args

VIEWPORT = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    """Evidence on failure, kept outside the working folder until the report copies it."""
    if not config.getoption("--report-dir", default=None):
        return
    if config.getoption("--tracing", default="off") == "off":
        config.option.tracing = "retain-on-failure"
    if config.getoption("--screenshot", default="off") == "off":
        config.option.screenshot = "only-on-failure"
    output = tempfile.mkdtemp(prefix="oxh-playwright-")
    config.option.output = output
    config.add_cleanup(lambda: shutil.rmtree(output, ignore_errors=True))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """The browser driven beside the one Playwright was built for, when a browser test asked for it."""
    found = getattr(config, "oxh_chromium", None)
    if isinstance(found, Chromium):
        terminalreporter.write_line(f"browser: {found.describe()}")
    elif found is not None:
        terminalreporter.write_line(f"browser: none usable, so no browser test ran: {found}", red=True)


def _checked(config: pytest.Config) -> Chromium | BrowserUnavailable | None:
    """The Chromium of this run, checked once (None when the frontend suite is not collected)."""
    if not hasattr(config, "oxh_chromium"):
        try:
            config.oxh_chromium = check(config.getoption("--chromium", default=None))
        except BrowserUnavailable as exc:
            config.oxh_chromium = exc
    return config.oxh_chromium


@pytest.fixture(scope="session")
def chromium(pytestconfig) -> Chromium:
    """The Chromium to drive; skips every browser test (not run, with the reason) when there is none to drive."""
    found = _checked(pytestconfig)
    if isinstance(found, BrowserUnavailable):
        pytest.skip(str(found))
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium, pytestconfig) -> dict:
    return {**browser_type_launch_args, **launch_args(chromium, headless=not pytestconfig.getoption("--headed"))}


@pytest.fixture(scope="session")
def base_url(pytestconfig, endpoints) -> str:
    """The target's UI: `--ui-url`, else /appsuite/ behind the URL users reach (the balancer VIP)."""
    return ui_url(pytestconfig.getoption("--ui-url", default=None), endpoints.public_url or endpoints.http_url)


def ui_url(configured: str | None, users_url: str) -> str:
    return (configured or users_url.rstrip("/") + "/appsuite/").rstrip("/") + "/"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, endpoints) -> dict:
    """English labels, a desktop window, and the target's TLS: a private CA or none is not checked by the browser."""
    return {**browser_context_args, "locale": "en-US", "viewport": VIEWPORT, "accept_downloads": True,
            "ignore_https_errors": endpoints.tls is not True}


class Timings:
    """A journey's timings as figures (`browser <journey>: <what>`, seconds) for the report and `oxh compare`;
    an outage the browser lived through is a `failover ...` figure, compared like the scenarios' downtimes."""

    def __init__(self, item: pytest.Item):
        self.item = item

    def record(self, name: str, seconds: float) -> float:
        self._add(f"browser {name}", round(seconds, 3), "s")
        return seconds

    def record_failover(self, name: str, seconds: float) -> float:
        """An outage as the browser saw it: compared like the failover scenarios' downtimes."""
        self._add(name if name.startswith("failover ") else f"failover {name}", round(seconds, 3), "s")
        return seconds

    def count(self, name: str, value: int) -> None:
        self._add(f"browser {name}", value, "")

    def _add(self, name: str, value: float, unit: str) -> None:
        self.item.oxh_figures = [*getattr(self.item, "oxh_figures", []),
                                 {"name": name, "value": value, "unit": unit, "better": "lower"}]

    def since(self, name: str, started: float) -> float:
        return self.record(name, time.monotonic() - started)


@pytest.fixture
def browser_timings(request) -> Timings:
    return Timings(request.node)


@pytest.fixture
def browser_sessions(endpoints):
    """The OX session of a browser context, seen and ended through the API client."""
    from harness.browser import ox_session

    class Sessions:
        @staticmethod
        def of(context, seen_session: str | None = None) -> ox_session.BrowserSession:
            return ox_session.session_of(context.cookies(), seen_session)

        @staticmethod
        def answer(session: ox_session.BrowserSession) -> str:
            return ox_session.answer_to(endpoints.http_url, session, verify=endpoints.tls)

        @staticmethod
        def end(session: ox_session.BrowserSession) -> None:
            ox_session.end_on_server(endpoints.http_url, session, verify=endpoints.tls)

    return Sessions()


@pytest.fixture(scope="session")
def ui_version(pytestconfig, endpoints) -> str | None:
    """The App Suite version whose labels the page objects use: --ui-version, else what the server says."""
    from harness.browser.ox_session import server_version

    return pytestconfig.getoption("--ui-version", default=None) or server_version(endpoints.http_url, endpoints.tls)
