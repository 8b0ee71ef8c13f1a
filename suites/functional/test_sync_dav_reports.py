"""What calendar apps ask of a calendar besides its objects, through every sync pool member: a time-range
query (only the events in the range come back) and sync-collection (RFC 6578: the changes since a token,
a change made through the HTTP API and a deletion included). Plain DAV, so that no library filters or
merges on the client side what the server answered."""

from __future__ import annotations

import secrets

import pytest

from harness.clients.dav import DavClient, DavError, calendar_of, sync_collection, time_range_query, vevent

requirement = pytest.mark.requirement
IN_RANGE = ("20310115T090000Z", "20310115T100000Z")
BEFORE_RANGE = ("20310114T090000Z", "20310114T100000Z")
RANGE = ("20310115T000000Z", "20310116T000000Z")


def uid_of(href: str) -> str:
    return href.rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")


def put_event(client: DavClient, calendar: str, uid: str, span: tuple[str, str], step: str) -> None:
    answer = client.request("PUT", f"{calendar}{uid}.ics", body=vevent(uid, "Range check", *span).encode(),
                            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
    if answer.status_code not in (201, 204):
        raise DavError(f"{step}: PUT answered HTTP {answer.status_code}")


def delete_event(client: DavClient, calendar: str, uid: str) -> None:
    client.request("DELETE", f"{calendar}{uid}.ics")


def time_range_round(client: DavClient, route: str) -> None:
    calendar = calendar_of(client)
    tag = secrets.token_hex(4)
    inside, outside = f"oxh-in-{tag}", f"oxh-out-{tag}"
    put_event(client, calendar, inside, IN_RANGE, "create the event in the range")
    put_event(client, calendar, outside, BEFORE_RANGE, "create the event before the range")
    try:
        found = {uid_of(href) for href in client.report(calendar, time_range_query("VEVENT", *RANGE)).responses}
        ours = found & {inside, outside}
        if ours != {inside}:
            raise DavError(f"a time-range query for {RANGE[0]}–{RANGE[1]} answered "
                           f"{sorted(ours) or 'neither'} of this check's events, expected only {inside}")
        open_ended = {uid_of(href) for href in client.report(calendar, time_range_query(
            "VEVENT", RANGE[0], None)).responses}
        if inside not in open_ended or outside in open_ended:
            raise DavError(f"a time-range query open at its end (from {RANGE[0]}) answered "
                           f"{sorted(open_ended & {inside, outside}) or 'neither'} of this check's events, "
                           f"expected only {inside}")
    finally:
        delete_event(client, calendar, inside)
        delete_event(client, calendar, outside)


@requirement("DAV-QUERY")
def test_a_time_range_query_answers_the_events_in_the_range_through_every_sync_member(each_sync_member):
    """Through each sync pool member: of two events, one inside and one before a day, a calendar-query with
    that day's time range answers only the one inside; open at its end, the same."""
    problems = each_sync_member("alice", time_range_round)
    assert not problems, "\n".join(problems)


def sync_round(client: DavClient, api_session) -> None:
    calendar = calendar_of(client)
    folder = calendar.rstrip("/").rsplit("/", 1)[-1]
    tag = secrets.token_hex(4)
    doomed, kept = f"oxh-gone-{tag}", f"oxh-kept-{tag}"
    put_event(client, calendar, doomed, IN_RANGE, "create the event to delete")
    put_event(client, calendar, kept, IN_RANGE, "create the event to keep")
    first = client.report(calendar, sync_collection(None))
    if not first.sync_token:
        raise DavError("the initial sync-collection answered no sync-token")
    created = None
    try:
        delete_event(client, calendar, doomed)
        event = {"summary": f"Made through the API {tag}", "startDate": {"value": "20310115T110000", "tzid": "UTC"},
                 "endDate": {"value": "20310115T120000", "tzid": "UTC"}}
        created = api_session.call("PUT", "chronos", "new", params={"folder": folder}, json=event)["created"][0]
        changes = client.report(calendar, sync_collection(first.sync_token))
        changed = {uid_of(href) for href in changes.responses}
        gone = {uid_of(href) for href in changes.gone}
        wrong = []
        if created.get("uid") not in changed:
            wrong.append(f"the event made through the HTTP API ({created.get('uid')}) is not among the changes")
        if doomed not in gone:
            wrong.append(f"the deleted event {doomed} is not answered 404")
        if kept in changed:
            wrong.append(f"the unchanged event {kept} is listed as changed")
        if not changes.sync_token or changes.sync_token == first.sync_token:
            wrong.append(f"the new sync-token is {changes.sync_token!r}, not a new one")
        if wrong:
            raise DavError("sync-collection since a token: " + "; ".join(wrong))
    finally:
        delete_event(client, calendar, kept)
        if created:
            api_session.call("PUT", "chronos", "delete", params={"timestamp": 2**62},
                             json=[{"id": created["id"], "folder": folder}])


@requirement("DAV-SYNC")
def test_sync_collection_answers_the_changes_since_a_token_through_every_sync_member(each_sync_member, login):
    """Through each sync pool member: after a token, an event deleted over DAV is answered 404, an event made
    through the HTTP API is among the changes, an unchanged one is not, and a new token comes back."""
    _, session = login("alice")
    problems = each_sync_member("alice", lambda client, route: sync_round(client, session))
    assert not problems, "\n".join(problems)
