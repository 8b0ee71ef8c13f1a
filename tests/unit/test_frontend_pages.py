"""The page objects' per-version alternatives: which App Suite release line a version is, and which
selector or label an element is looked for by in each."""

from __future__ import annotations

from suites.frontend.pages import ACCOUNT_MENU, CLASSIC, COMPOSE, LATER, Choice, choice_of, release_line


def test_versions_fall_into_the_release_lines_whose_labels_differ():
    assert release_line("7.10.0") == release_line("7.10.3-Rev12") == release_line("7.10.5") == CLASSIC
    assert release_line("7.8.4-Rev40") == CLASSIC
    assert release_line("7.10.6-reference") == release_line("7.10.6") == release_line("8.21.0") == LATER
    assert release_line(None) is None and release_line("") is None and release_line("unknown") is None


def test_a_known_release_line_uses_its_own_choice_and_an_unknown_version_tries_every_one():
    assert ACCOUNT_MENU.values("7.10.3") == ["#io-ox-topbar-dropdown-icon"]
    assert ACCOUNT_MENU.values("8.21.0") == ["#io-ox-topbar-account-dropdown-icon"]
    assert ACCOUNT_MENU.values(None) == ["#io-ox-topbar-account-dropdown-icon", "#io-ox-topbar-dropdown-icon"]
    assert COMPOSE.values("7.10.5") == ["Compose"]
    assert COMPOSE.values("8.0.0") == ["Compose", "New email"]
    assert COMPOSE.values(None) == ["Compose", "New email"]  # each label once
    assert Choice({CLASSIC: ("A",)}).values("8.1") == ["A"]  # a line without its own choice: every other one


class FakeLocator:
    """Records how a locator was built (Playwright's Locator API, as far as the page objects use it)."""

    def __init__(self, text: str):
        self.text = text

    def or_(self, other: "FakeLocator") -> "FakeLocator":
        return FakeLocator(f"{self.text} | {other.text}")

    def filter(self, visible: bool) -> "FakeLocator":
        return FakeLocator(f"({self.text}) visible")

    @property
    def first(self) -> "FakeLocator":
        return FakeLocator(f"first of {self.text}")


class FakePage:
    def locator(self, selector: str) -> FakeLocator:
        return FakeLocator(selector)

    def get_by_role(self, role: str, name: str, exact: bool) -> FakeLocator:
        return FakeLocator(f"{role}[{name}]")


def test_alternatives_become_one_locator_of_the_first_visible_match():
    page = FakePage()
    assert choice_of(page, ACCOUNT_MENU, "7.10.2", css=True).text == "first of (#io-ox-topbar-dropdown-icon) visible"
    assert choice_of(page, ACCOUNT_MENU, None, css=True).text == \
        "first of (#io-ox-topbar-account-dropdown-icon | #io-ox-topbar-dropdown-icon) visible"
    compose = choice_of(page, COMPOSE, "7.10.1").text
    assert compose.startswith("first of (first of (button[Compose] | link[Compose]") and "New email" not in compose
