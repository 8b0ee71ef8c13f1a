"""Fixtures of the frontend suite: App Suite's page objects on pytest-playwright's pages, and the run's users.

The browser, its launch and the target's UI URL come from the oxh plugin
(harness.browser.fixtures). Before the first journey the UI must show App
Suite's login screen within 20 s; when it does not (the URL serves
something else, or nothing), every journey is skipped with what came
instead, so that their requirements are not run, with that reason.
"""

from __future__ import annotations

import json
import secrets

import pytest

from harness.browser.api_traffic import ApiTraffic

from .pages import AppSuite, LoginPage

LOGIN_SCREEN_WITHIN = 20.0
ACTION_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Faults last: the browser failover journeys kill nodes, so they run after every other test."""
    items.sort(key=lambda item: item.path.name == "test_browser_failover.py")


@pytest.fixture(scope="session")
def app_suite_ui(browser, browser_context_args, base_url, ui_version) -> str:
    """The UI's URL, once its login screen showed; else every journey is skipped with what the URL served."""
    from playwright.sync_api import Error

    context = browser.new_context(**browser_context_args)
    status, problem = None, ""
    try:
        page = context.new_page()
        try:
            response = page.goto(base_url, timeout=LOGIN_SCREEN_WITHIN * 1000)
            status = response.status if response else None
            LoginPage(page, ui_version).screen.wait_for(state="visible", timeout=LOGIN_SCREEN_WITHIN * 1000)
        except Error as exc:
            title = _title(page)
            problem = (f"the UI at {base_url} is not OX App Suite: its login screen (#io-ox-login-screen) did not "
                       f"appear within {LOGIN_SCREEN_WITHIN:g} s (HTTP {status or 'no answer'}"
                       + (f", page title {title!r}" if title else "")
                       + (f"; {str(exc).splitlines()[0]}" if status is None else "") + ")")
    finally:
        context.close()
    if problem:
        pytest.skip(problem)
    return base_url


def _title(page) -> str:
    try:
        return page.title()
    except Exception:  # the page never loaded
        return ""


@pytest.fixture
def open_ui(app_suite_ui, new_context, ui_version):
    """`open_ui()`: a fresh browser context (no cookies) with one page, as App Suite's page objects."""

    def open_() -> AppSuite:
        context = new_context()
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        app = AppSuite(context.new_page(), ui_version)
        app.traffic = ApiTraffic().attach(app.page)
        return app

    return open_


@pytest.fixture
def ui(open_ui) -> AppSuite:
    return open_ui()


@pytest.fixture
def account(test_context):
    """`account("alice")`: one of the run's own test users (login, password, email)."""
    return lambda name: test_context.users[name]


@pytest.fixture
def mail_in_inbox(login, test_context):
    """`mail_in_inbox("alice")` -> the subject of a mail sent to that user through the API, for a journey to open."""

    def send(user: str) -> str:
        _, session = login(user)
        subject = f"oxh-ui-seed-{secrets.token_hex(3)}"
        mail = {"to": [[user, test_context.users[user].email]], "subject": subject,
                "attachments": [{"content_type": "text/plain", "content": "A mail for the browser to open."}]}
        session.call("POST", "mail", "new", data={"json_0": json.dumps(mail)})
        return subject

    return send
