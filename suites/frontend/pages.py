"""Every selector of the frontend suite: page objects of App Suite's web UI.

Ids and classes are the DOM contract OX's own browser tests use (login
screen, launcher, mail list, compose window, edit windows, relogin dialog);
buttons, fields and apps are found by role and label where the UI gives
them one. A few labels differ between the 7.10.0–7.10.5 releases and later
ones: such an element lists its choices per release line, and with the
version unknown (`--ui-version` not given, the server not saying) every
choice is tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import TimeoutError as PlaywrightTimeout

CLASSIC = "7.10.0-7.10.5"
LATER = "7.10.6 and later"


def release_line(version: str | None) -> str | None:
    """CLASSIC or LATER for an App Suite version such as '7.10.3-Rev12' or '8.21.0'; None when unknown."""
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", version or "")
    if not match:
        return None
    numbers = tuple(int(part or 0) for part in match.groups())
    return CLASSIC if numbers <= (7, 10, 5) else LATER


@dataclass(frozen=True)
class Choice:
    """How an element is found, per release line: CSS selectors or accessible names, any of which may match."""

    by_line: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def values(self, version: str | None) -> list[str]:
        line = release_line(version)
        lines = [line] if line in self.by_line else [LATER, CLASSIC]
        return list(dict.fromkeys(value for key in lines for value in self.by_line.get(key, ())))


# Where releases differ: the account menu's id changed after 7.10.5; 8.x names the compose button "New email".
ACCOUNT_MENU = Choice({CLASSIC: ("#io-ox-topbar-dropdown-icon",), LATER: ("#io-ox-topbar-account-dropdown-icon",)})
COMPOSE = Choice({CLASSIC: ("Compose",), LATER: ("Compose", "New email")})

WRONG_PASSWORD = "The user name or password is incorrect."
CLICKABLE_ROLES = ("button", "link", "menuitem", "tab", "option")


def either(locators):
    """The first of several locators that is visible (`Locator.or_` over all of them)."""
    combined = locators[0]
    for locator in locators[1:]:
        combined = combined.or_(locator)
    return combined.filter(visible=True).first


def clickable(scope, name: str):
    """A button, link, menu item, tab or option with exactly this accessible name."""
    return either([scope.get_by_role(role, name=name, exact=True) for role in CLICKABLE_ROLES])


def choice_of(scope, choice: Choice, version: str | None, *, css: bool = False):
    values = choice.values(version)
    return either([scope.locator(value) for value in values] if css else [clickable(scope, value) for value in values])


class LoginPage:
    def __init__(self, page, version: str | None = None):
        self.page, self.version = page, version
        self.screen = page.locator("#io-ox-login-screen")
        self.form = page.locator("#io-ox-login-form")
        self.username = page.locator("#io-ox-login-username")
        self.password = page.locator("#io-ox-login-password")
        self.stay_signed_in = page.locator("#io-ox-login-store-box")
        self.sign_in_button = either([page.get_by_role("button", name="Sign in", exact=True),
                                      page.locator("#io-ox-login-button")])
        self.feedback = page.locator("#io-ox-login-feedback")
        self.alert = page.locator("#io-ox-login-feedback [role=alert].alert")
        self.loader = page.locator("#background-loader")

    def open(self, url: str = "./") -> None:
        self.page.goto(url)

    def fill(self, login: str, password: str, stay: bool = False) -> None:
        self.username.wait_for(state="visible")
        self.username.fill(login)
        self.password.fill(password)
        if stay:
            self.stay_signed_in.check()

    def submit(self) -> None:
        self.sign_in_button.click()


class Shell:
    """What surrounds every app: top bar, launcher, refresh, account menu, the relogin and offline notices."""

    def __init__(self, page, version: str | None = None):
        self.page, self.version = page, version
        self.core = page.locator("#io-ox-core")
        self.topbar = page.locator("#io-ox-topbar, #io-ox-appcontrol").first
        self.launcher = page.locator("#io-ox-launcher")
        self.refresh_icon = page.locator("#io-ox-refresh-icon")
        self.account_menu = choice_of(page, ACCOUNT_MENU, version, css=True)
        self.sign_out_link = page.locator('a[data-name="logout"]')
        self.offline = page.locator("#io-ox-offline")
        self.relogin = ReloginDialog(page)

    def app_entry(self, name: str):
        """An app in the list the launcher opens."""
        return clickable(self.page, name)

    def open_app(self, name: str) -> None:
        self.launcher.click()
        self.app_entry(name).click()

    def refresh(self) -> None:
        self.refresh_icon.click()

    def refresh_unless_covered_by(self, modal, timeout_ms: int = 15_000) -> None:
        """Refresh, unless `modal` opens over the shell first (a modal makes the shell inert, so it cannot be
        clicked); either way, something on screen then asks the user."""
        if modal.is_visible():
            return
        try:
            self.refresh_icon.click(timeout=timeout_ms)
        except PlaywrightTimeout:
            if not modal.is_visible():
                raise

    def sign_out(self) -> None:
        self.account_menu.click()
        self.sign_out_link.click()


class ReloginDialog:
    def __init__(self, page):
        self.dialog = page.locator(".modal.relogin")
        self.password = self.dialog.locator('input[name="relogin-password"]')
        self.button = self.dialog.locator('button[data-action="relogin"]')

    def relogin(self, password: str) -> None:
        self.password.fill(password)
        self.button.click()


class MailApp:
    def __init__(self, page, version: str | None = None):
        self.page, self.version = page, version
        self.list_view = page.locator('[data-ref="io.ox/mail/listview"]')
        self.items = self.list_view.locator(".list-view li.list-item")
        self.detail = page.locator(".rightside.mail-detail-pane")
        self.detail_subject = self.detail.locator(".subject")
        self.compose_button = choice_of(page, COMPOSE, version)

    def item(self, subject: str):
        return self.items.filter(has_text=subject)

    def compose(self) -> "ComposeWindow":
        self.compose_button.click()
        window = ComposeWindow(self.page)
        window.root.wait_for(state="visible")
        return window

    def open(self, subject: str) -> None:
        self.item(subject).first.click()


class ComposeWindow:
    def __init__(self, page):
        self.root = page.locator(".io-ox-mail-compose-window").filter(visible=True).first
        self.to = self.root.locator('[placeholder="To"]')
        self.subject = either([self.root.get_by_label("Subject", exact=True),
                               self.root.get_by_placeholder("Subject", exact=True)])
        self.body = self.root.locator("textarea.plain-text")
        self.send_button = self.root.locator('.btn[data-action="send"]')

    def write(self, to: str, subject: str, text: str) -> None:
        self.to.fill(to)
        self.subject.fill(subject)
        self.body.fill(text)

    def send(self) -> None:
        self.send_button.click()


class CalendarApp:
    def __init__(self, page):
        self.page = page
        self.new_button = clickable(page, "New appointment")
        self.edit_window = page.locator(".io-ox-calendar-edit-window").filter(visible=True).first
        self.summary = self.edit_window.locator('input[name="summary"]')
        self.save_button = self.edit_window.locator('button[data-action="save"]')
        self.titles = page.locator(".appointment .title")

    def create(self, summary: str) -> None:
        self.new_button.click()
        self.summary.fill(summary)
        self.save_button.click()

    def appointment(self, summary: str):
        return self.titles.filter(has_text=summary)


class ContactsApp:
    def __init__(self, page):
        self.page = page
        self.new_button = clickable(page, "New contact")
        self.edit_window = page.locator(".io-ox-contacts-edit-window").filter(visible=True).first
        self.first_name = self.edit_window.get_by_label("First name", exact=True)
        self.last_name = self.edit_window.get_by_label("Last name", exact=True)
        self.save_button = clickable(self.edit_window, "Save")
        self.list_items = page.locator(".list-view .list-item, .vgrid-cell")
        self.full_name = page.locator(".contact-header .fullname")

    def create(self, first: str, last: str) -> None:
        self.new_button.click()
        self.first_name.fill(first)
        self.last_name.fill(last)
        self.save_button.click()

    def entry(self, text: str):
        return self.list_items.filter(has_text=text)


class DriveApp:
    def __init__(self, page, version: str | None = None):
        self.page, self.version = page, version
        self.window = page.locator(".io-ox-files-window")
        self.file_input = self.window.locator("input[type=file]").first
        self.list_view = self.window.locator(".file-list-view")
        self.items = self.list_view.locator(".list-item")
        self.download_action = either([page.locator('[data-action="download"]'),
                                       page.get_by_role("link", name="Download"),
                                       page.get_by_role("button", name="Download")])

    def upload(self, path: str) -> None:
        self.file_input.set_input_files(path)

    def item(self, name: str):
        return self.items.filter(has_text=name)


@dataclass
class AppSuite:
    """The page objects of one browser page."""

    page: object
    version: str | None = None

    def __post_init__(self) -> None:
        self.login = LoginPage(self.page, self.version)
        self.shell = Shell(self.page, self.version)
        self.mail = MailApp(self.page, self.version)
        self.calendar = CalendarApp(self.page)
        self.contacts = ContactsApp(self.page)
        self.drive = DriveApp(self.page, self.version)
