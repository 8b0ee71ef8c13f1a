"""Calendar and contact data as DAV clients exchange it: iCalendar events (every component with a DTSTAMP)
and vCards, to and from the stored rows."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

import icalendar
import vobject
from aiohttp import web


def event_ical(row: dict) -> str:
    if row.get("ical"):
        return with_dtstamp(row["ical"], row)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ox-harness//oxref//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", row["uid"])
    event.add("dtstamp", datetime.fromtimestamp(row["last_modified"] / 1000, timezone.utc))
    event.add("summary", row["summary"])
    event.add("dtstart", parse_value(row["start_value"]))
    event.add("dtend", parse_value(row["end_value"]))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def parse_value(value: str) -> datetime:
    for pattern in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise ValueError(value)


COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")  # what a calendar collection holds


def event_values(text: str) -> dict[str, Any]:
    """The stored row of a calendar object: an event, a task or a journal entry (the first one in the data)."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not iCalendar data") from None
    event = next((c for c in calendar.walk() if c.name in COMPONENTS), None)
    if event is None:
        raise web.HTTPBadRequest(text=f"no {', '.join(COMPONENTS)} in the calendar data")
    try:
        start = next((event.decoded(name) for name in ("dtstart", "due") if name in event), None)
        end = next((event.decoded(name) for name in ("dtend", "due") if name in event), start)
    except (ValueError, KeyError) as exc:
        raise web.HTTPBadRequest(text=f"a date of the {event.name} cannot be read: {exc}") from None
    if start is None:  # a task or journal entry without a date
        start = end = datetime.fromtimestamp(0, timezone.utc)

    def stamp(value) -> tuple[str, int]:
        if hasattr(value, "hour"):
            if value.tzinfo is not None:
                utc = value.astimezone(timezone.utc)
                return utc.strftime("%Y%m%dT%H%M%SZ"), int(utc.timestamp() * 1000)
            return value.strftime("%Y%m%dT%H%M%S"), int(value.timestamp() * 1000)
        return value.strftime("%Y%m%d"), int(time.mktime(value.timetuple()) * 1000)

    start_value, start_ms = stamp(start)
    end_value, end_ms = stamp(end)
    return {"uid": str(event.get("uid") or uuid.uuid4()), "summary": str(event.get("summary", "")),
            "description": str(event.get("description", "")), "location": str(event.get("location", "")),
            "start_value": start_value, "end_value": end_value, "start_ms": start_ms, "end_ms": end_ms, "ical": text,
            "component": event.name}


def contact_vcard(row: dict) -> str:
    card = vobject.vCard()
    card.add("uid").value = row["uid"]
    card.add("fn").value = row["display_name"] or f"{row['first_name']} {row['last_name']}".strip()
    card.add("n").value = vobject.vcard.Name(family=row["last_name"], given=row["first_name"])
    if row["email1"]:
        card.add("email").value = row["email1"]
    return card.serialize()


def contact_values(text: str) -> dict[str, Any]:
    try:
        card = vobject.readOne(text)
    except Exception:
        raise web.HTTPBadRequest(text="the body is not a vCard") from None
    name = getattr(card, "n", None)
    return {
        "uid": str(card.uid.value) if hasattr(card, "uid") else str(uuid.uuid4()),
        "display_name": card.fn.value if hasattr(card, "fn") else "",
        "first_name": name.value.given if name else "",
        "last_name": name.value.family if name else "",
        "email1": card.email.value if hasattr(card, "email") else "",
    }




def with_dtstamp(text: str, row: dict) -> str:
    """Stored iCalendar text as clients need it: a DTSTAMP on every VEVENT and VTODO (RFC 5545 requires one)."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError:
        return text
    missing = [c for c in calendar.walk() if c.name in ("VEVENT", "VTODO", "VJOURNAL") and "DTSTAMP" not in c]
    if not missing:
        return text
    for component in missing:
        component.add("dtstamp", datetime.fromtimestamp(row["last_modified"] / 1000, timezone.utc))
    return calendar.to_ical().decode()
