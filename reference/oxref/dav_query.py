"""CalDAV calendar-query filters (RFC 4791 7.8, 9.7 and 9.9): parsed once from a REPORT body, then matched
against each object's iCalendar text.

What standard clients send is supported: comp-filter nesting (VCALENDAR, then VEVENT or VTODO), time-range on a
component (either end may be open), prop-filter with is-not-defined or text-match (case-insensitive, negate-
condition). Anything else raises UnsupportedFilter, which the handler answers with the CALDAV:supported-filter
precondition (403) instead of ignoring it. Only icalendar and lxml are used, so the matching is unit-tested
outside the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import icalendar
from lxml import etree

CALDAV = "urn:ietf:params:xml:ns:caldav"
COLLATIONS = {None, "i;ascii-casemap", "i;unicode-casemap", "i;octet"}
ONE_DAY = timedelta(days=1)


class UnsupportedFilter(ValueError):
    """A filter element or collation this server does not evaluate."""


@dataclass(frozen=True)
class TextMatch:
    text: str
    negate: bool = False
    exact_case: bool = False  # i;octet

    def matches(self, value: str) -> bool:
        found = self.text in value if self.exact_case else self.text.casefold() in value.casefold()
        return found != self.negate


@dataclass(frozen=True)
class PropFilter:
    name: str
    defined: bool = True  # False: is-not-defined
    text: TextMatch | None = None


@dataclass(frozen=True)
class CompFilter:
    name: str
    defined: bool = True
    start: datetime | None = None  # time-range; None on both ends: no time-range
    end: datetime | None = None
    has_range: bool = False
    props: tuple[PropFilter, ...] = ()
    comps: tuple["CompFilter", ...] = ()


def _tag(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise UnsupportedFilter(f"time-range value {text!r} is not a UTC date-time (YYYYMMDDTHHMMSSZ)") from None


def parse_filter(document: etree._Element) -> CompFilter | None:
    """The top comp-filter of a calendar-query REPORT body; None when it has no filter."""
    found = document.find(f"{{{CALDAV}}}filter")
    if found is None:
        return None
    comps = [child for child in found if _tag(child)]
    if len(comps) != 1 or _tag(comps[0]) != "comp-filter":
        raise UnsupportedFilter("a filter holds exactly one comp-filter")
    return _comp_filter(comps[0])


def _comp_filter(element: etree._Element) -> CompFilter:
    name = (element.get("name") or "").upper()
    if not name:
        raise UnsupportedFilter("a comp-filter needs a name")
    defined, start, end, has_range, props, comps = True, None, None, False, [], []
    for child in element:
        tag = _tag(child)
        if tag == "is-not-defined":
            defined = False
        elif tag == "time-range":
            start, end, has_range = _utc(child.get("start")), _utc(child.get("end")), True
        elif tag == "prop-filter":
            props.append(_prop_filter(child))
        elif tag == "comp-filter":
            comps.append(_comp_filter(child))
        elif tag:
            raise UnsupportedFilter(f"comp-filter element {tag} is not supported")
    return CompFilter(name, defined, start, end, has_range, tuple(props), tuple(comps))


def _prop_filter(element: etree._Element) -> PropFilter:
    name = (element.get("name") or "").upper()
    defined, text = True, None
    for child in element:
        tag = _tag(child)
        if tag == "is-not-defined":
            defined = False
        elif tag == "text-match":
            collation = child.get("collation")
            if collation not in COLLATIONS:
                raise UnsupportedFilter(f"collation {collation} is not supported")
            text = TextMatch(child.text or "", child.get("negate-condition") == "yes", collation == "i;octet")
        elif tag:
            raise UnsupportedFilter(f"prop-filter element {tag} is not supported")
    return PropFilter(name, defined, text)


def matches(top: CompFilter | None, ical_text: str) -> bool:
    """Whether the calendar object passes the filter (no filter: every object)."""
    if top is None:
        return True
    try:
        calendar = icalendar.Calendar.from_ical(ical_text)
    except ValueError:
        return False
    return _component_matches(top, [calendar])


def _component_matches(wanted: CompFilter, candidates: list) -> bool:
    named = [component for component in candidates if component.name == wanted.name]
    if not wanted.defined:
        return not named
    return any(_one_matches(wanted, component) for component in named)


def _one_matches(wanted: CompFilter, component) -> bool:
    if wanted.has_range and not _overlaps(component, wanted.start, wanted.end):
        return False
    for prop in wanted.props:
        values = [str(value) for value in _values(component, prop.name)]
        if not prop.defined:
            if values:
                return False
        elif not values or (prop.text and not any(prop.text.matches(value) for value in values)):
            return False
    return all(_component_matches(child, list(component.subcomponents)) for child in wanted.comps)


def _values(component, name: str) -> list:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_utc(value) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


def _decoded(component, name: str):
    try:
        return component.decoded(name) if name in component else None
    except (KeyError, ValueError):
        return None


def _span(component) -> tuple[datetime, datetime] | None:
    """When the component happens, as RFC 4791 9.9 reads VEVENT and VTODO; None: it has no time (matches)."""
    start, end = _decoded(component, "DTSTART"), _decoded(component, "DTEND")
    due, duration = _decoded(component, "DUE"), _decoded(component, "DURATION")
    if start is None:
        if due is None:
            return None
        return _as_utc(due), _as_utc(due)
    if end is None and due is not None:
        end = due
    if end is not None:
        return _as_utc(start), _as_utc(end)
    if isinstance(duration, timedelta):
        return _as_utc(start), _as_utc(start) + duration
    is_date = isinstance(start, date) and not isinstance(start, datetime)
    return _as_utc(start), _as_utc(start) + (ONE_DAY if is_date else timedelta(0))


def _overlaps(component, start: datetime | None, end: datetime | None) -> bool:
    span = _span(component)
    if span is None:
        return True
    first, last = span
    lower = start or datetime.min.replace(tzinfo=timezone.utc)
    upper = end or datetime.max.replace(tzinfo=timezone.utc)
    if first == last:  # an instant: within [lower, upper)
        return lower <= first < upper
    return lower < last and upper > first


def parse_free_busy(document: etree._Element) -> tuple[datetime | None, datetime | None]:
    """The time range of a free-busy-query REPORT (RFC 4791 7.10)."""
    found = document.find(f"{{{CALDAV}}}time-range")
    if found is None:
        raise UnsupportedFilter("a free-busy-query needs a time-range")
    return _utc(found.get("start")), _utc(found.get("end"))


def free_busy(ical_texts: list[str], start: datetime | None, end: datetime | None) -> str:
    """A VFREEBUSY of the events (not tasks, not transparent ones) overlapping [start, end), clipped to it."""
    lower = start or datetime.min.replace(tzinfo=timezone.utc)
    upper = end or datetime.max.replace(tzinfo=timezone.utc)
    busy = []
    for text in ical_texts:
        try:
            calendar = icalendar.Calendar.from_ical(text)
        except ValueError:
            continue
        for event in calendar.walk("VEVENT"):
            span = _span(event)
            if span is None or str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            if _overlaps(event, start, end):
                busy.append((max(span[0], lower), min(span[1], upper)))
    stamp = "%Y%m%dT%H%M%SZ"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ox-harness//oxref//EN", "BEGIN:VFREEBUSY",
             f"DTSTAMP:{datetime.now(timezone.utc).strftime(stamp)}"]
    if start:
        lines.append(f"DTSTART:{start.strftime(stamp)}")
    if end:
        lines.append(f"DTEND:{end.strftime(stamp)}")
    lines += [f"FREEBUSY;FBTYPE=BUSY:{first.strftime(stamp)}/{last.strftime(stamp)}" for first, last in sorted(busy)]
    lines += ["END:VFREEBUSY", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"
