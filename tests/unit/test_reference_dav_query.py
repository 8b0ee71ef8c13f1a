"""The reference middleware's CalDAV calendar-query filter: what standard clients ask, answered as RFC 4791
reads it (pure functions of the filter and the object's iCalendar text)."""

from __future__ import annotations

import pytest
from lxml import etree

from reference.oxref.dav_query import UnsupportedFilter, matches, parse_filter

EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20300101T000000Z\r\n"
         "DTSTART:20300110T090000Z\r\nDTEND:20300110T100000Z\r\nSUMMARY:Release Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ALL_DAY = EVENT.replace("DTSTART:20300110T090000Z\r\nDTEND:20300110T100000Z", "DTSTART;VALUE=DATE:20300110")
TODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20300101T000000Z\r\n"
        "DUE:20300115T120000Z\r\nSUMMARY:File the report\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


def query(inner: str) -> etree._Element:
    return etree.fromstring(
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop>'
        f'<c:filter><c:comp-filter name="VCALENDAR">{inner}</c:comp-filter></c:filter></c:calendar-query>')


def time_range(component: str, start: str | None, end: str | None) -> etree._Element:
    bounds = "".join(f' {name}="{value}"' for name, value in (("start", start), ("end", end)) if value)
    return query(f'<c:comp-filter name="{component}"><c:time-range{bounds}/></c:comp-filter>')


@pytest.mark.parametrize("start, end, expected", [
    ("20300110T000000Z", "20300111T000000Z", True),
    ("20300110T100000Z", "20300111T000000Z", False),  # the event ends as the range starts
    ("20300101T000000Z", "20300110T090000Z", False),  # the range ends as the event starts
    ("20300110T093000Z", None, True),  # open end: what "every event from now on" asks
    (None, "20300109T000000Z", False),
])
def test_a_time_range_matches_the_events_that_overlap_it(start, end, expected):
    assert matches(parse_filter(time_range("VEVENT", start, end)), EVENT) is expected


def test_an_all_day_event_lasts_its_day_and_a_task_is_placed_by_its_due_time():
    assert matches(parse_filter(time_range("VEVENT", "20300110T230000Z", "20300111T000000Z")), ALL_DAY)
    assert not matches(parse_filter(time_range("VEVENT", "20300111T000000Z", "20300112T000000Z")), ALL_DAY)
    assert matches(parse_filter(time_range("VTODO", "20300115T000000Z", "20300116T000000Z")), TODO)
    assert not matches(parse_filter(time_range("VTODO", "20300116T000000Z", None)), TODO)
    assert not matches(parse_filter(time_range("VTODO", "20300101T000000Z", None)), EVENT)  # no VTODO in it


def test_text_match_is_case_insensitive_and_can_be_negated():
    summary = '<c:comp-filter name="VEVENT"><c:prop-filter name="SUMMARY"><c:text-match{}>review</c:text-match>' \
              '</c:prop-filter></c:comp-filter>'
    assert matches(parse_filter(query(summary.format(""))), EVENT)
    assert not matches(parse_filter(query(summary.format(' negate-condition="yes"'))), EVENT)
    assert not matches(parse_filter(query(summary.format(' collation="i;octet"'))), EVENT)
    uid = '<c:comp-filter name="VEVENT"><c:prop-filter name="UID"><c:text-match>e1</c:text-match></c:prop-filter>' \
          '</c:comp-filter>'
    assert matches(parse_filter(query(uid)), EVENT) and not matches(parse_filter(query(uid)), TODO)


def test_a_component_type_filter_selects_events_or_tasks_and_no_filter_selects_all():
    events = parse_filter(query('<c:comp-filter name="VEVENT"/>'))
    assert matches(events, EVENT) and not matches(events, TODO)
    absent = parse_filter(query('<c:comp-filter name="VEVENT"><c:prop-filter name="LOCATION"><c:is-not-defined/>'
                                '</c:prop-filter></c:comp-filter>'))
    assert matches(absent, EVENT)
    assert matches(None, TODO)


def test_what_is_not_evaluated_is_refused_not_ignored():
    with pytest.raises(UnsupportedFilter, match="collation i;klingon"):
        parse_filter(query('<c:comp-filter name="VEVENT"><c:prop-filter name="SUMMARY">'
                           '<c:text-match collation="i;klingon">x</c:text-match></c:prop-filter></c:comp-filter>'))
    with pytest.raises(UnsupportedFilter, match="param-filter"):
        parse_filter(query('<c:comp-filter name="VEVENT"><c:prop-filter name="ATTENDEE"><c:param-filter name="X"/>'
                           '</c:prop-filter></c:comp-filter>'))
    with pytest.raises(UnsupportedFilter, match="not a UTC date-time"):
        parse_filter(time_range("VEVENT", "2030-01-10", None))


def test_free_busy_lists_the_busy_time_of_the_events_in_the_range_clipped_to_it():
    from datetime import datetime, timezone

    from reference.oxref.dav_query import free_busy

    start = datetime(2030, 1, 10, 9, 30, tzinfo=timezone.utc)
    end = datetime(2030, 1, 11, tzinfo=timezone.utc)
    transparent = EVENT.replace("UID:e1", "UID:e2\r\nTRANSP:TRANSPARENT")
    answer = free_busy([EVENT, TODO, transparent, ALL_DAY.replace("20300110", "20300112")], start, end)
    assert "FREEBUSY;FBTYPE=BUSY:20300110T093000Z/20300110T100000Z\r\n" in answer
    assert answer.count("FREEBUSY;") == 1 and "BEGIN:VFREEBUSY" in answer and "DTEND:20300111T000000Z" in answer
