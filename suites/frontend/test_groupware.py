"""The groupware journeys in the browser: mail to a second user, an appointment, a contact, a file in Drive."""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest

from .journeys import gone, open_app, shown, sign_in, wait_for_item

DELIVERY_SECONDS = 30.0


@pytest.mark.requirement("UI-MAIL")
def test_a_mail_sent_in_the_ui_is_read_by_its_recipient(ui, open_ui, account, browser_timings):
    """Alice composes and sends a mail; Bob signs in (a browser of his own), finds it in his list and reads it."""
    alice, bob = account("alice"), account("bob")
    subject = f"oxh-ui-mail-{secrets.token_hex(3)}"
    sign_in(ui, alice)
    open_app(ui, "Mail", ui.mail.list_view, "its mail list")
    compose = ui.mail.compose()
    compose.write(bob.email, subject, "Sent from the browser by the frontend suite.")
    started = time.monotonic()
    compose.send()
    gone(compose.root, "the compose window did not close after Send")
    browser_timings.since("mail: Send to compose window closed", started)

    reader = open_ui()
    started = time.monotonic()
    sign_in(reader, bob)
    open_app(reader, "Mail", reader.mail.list_view, "its mail list")
    wait_for_item(reader, reader.mail.item(subject),
                  f"{bob.login}'s mail list did not show the mail {alice.login} sent ({subject})", DELIVERY_SECONDS)
    browser_timings.since("mail: recipient's sign-in to first list item", started)
    reader.mail.open(subject)
    shown(reader.mail.detail_subject.filter(has_text=subject),
          f"the mail detail pane did not show the subject of the mail {bob.login} opened")


@pytest.mark.requirement("UI-CALENDAR")
def test_an_appointment_shows_in_the_week_view(ui, account, browser_timings):
    """Create an appointment; the calendar's week view shows it by its title."""
    summary = f"oxh-ui-appointment-{secrets.token_hex(3)}"
    sign_in(ui, account("alice"))
    open_app(ui, "Calendar", ui.calendar.new_button, '"New appointment"')
    ui.calendar.create(summary)
    started = time.monotonic()
    gone(ui.calendar.edit_window, "the appointment's edit window did not close after Save")
    shown(ui.calendar.appointment(summary).first, f"the week view did not show the appointment {summary}")
    browser_timings.since("calendar: Save to appointment in week view", started)


@pytest.mark.requirement("UI-CONTACTS")
def test_a_new_contact_is_found_with_its_name(ui, account, browser_timings):
    """Create a contact; it is listed in the address book and opens with its full name."""
    first, last = "Oxh", f"Contact{secrets.token_hex(3)}"
    sign_in(ui, account("alice"))
    open_app(ui, "Address Book", ui.contacts.new_button, '"New contact"')
    ui.contacts.create(first, last)
    started = time.monotonic()
    gone(ui.contacts.edit_window, "the contact's edit window did not close after Save")
    shown(ui.contacts.entry(last).first, f"the address book did not list the new contact {first} {last}")
    browser_timings.since("contacts: Save to contact listed", started)
    ui.contacts.entry(last).first.click()
    shown(ui.contacts.full_name.filter(has_text=last), f"the contact {first} {last} did not open with its full name")
    name = ui.contacts.full_name.inner_text()
    assert first in name and last in name, f"the contact opened with the name {name!r}, not {first} {last}"


@pytest.mark.requirement("UI-DRIVE")
def test_a_file_uploaded_in_drive_downloads_with_the_same_bytes(ui, account, browser_timings, tmp_path):
    """Upload a file in Drive; it is listed, and downloading it gives back the same bytes."""
    content = secrets.token_bytes(64 * 1024)
    upload = tmp_path / f"oxh-ui-{secrets.token_hex(3)}.bin"
    upload.write_bytes(content)
    sign_in(ui, account("alice"))
    open_app(ui, "Drive", ui.drive.window, "its window")
    started = time.monotonic()
    ui.drive.upload(str(upload))
    shown(ui.drive.item(upload.name).first, f"Drive did not list the uploaded file {upload.name}")
    browser_timings.since("drive: upload to file listed", started)
    ui.drive.item(upload.name).first.click()
    started = time.monotonic()
    with ui.page.expect_download() as downloading:
        ui.drive.download_action.click()
    saved = Path(downloading.value.path())
    browser_timings.since("drive: Download to file saved", started)
    got = saved.read_bytes()
    assert got == content, (f"Drive gave back {len(got)} bytes (sha256 {hashlib.sha256(got).hexdigest()[:12]}) for the "
                            f"{len(content)} uploaded (sha256 {hashlib.sha256(content).hexdigest()[:12]})")
