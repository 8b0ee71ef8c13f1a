"""Sync clients through the sync pool (`oxcluster_sync`), as a phone, Thunderbird or macOS reaches it: the
public URL and Basic auth with the OX login. Discovery, CalDAV (through the `caldav` library) and CardDAV are
tried through each member of the pool, pinned by its route; every failure names the member and the step."""

from __future__ import annotations

import secrets
import time

import caldav
import pytest

from harness.clients.dav import (CALDAV, CARDDAV, DAV, DAV_ROOT, DavClient, DavError, calendar_client, vcard,
                                 vevent)

requirement = pytest.mark.requirement
REDIRECTS = (301, 302, 303, 307, 308)
STICKY_REQUESTS = 5
UNPINNED_CLIENTS = 6


def on_member(client: DavClient, route: str, step: str) -> None:
    """A step answered by another member than the one asked for judges that other member: say so."""
    if client.answered_by != route:
        raise DavError(f"{step}: answered by route {client.answered_by}, not the member asked for")


def discover(client: DavClient, route: str) -> tuple[list[str], list[str]]:
    """RFC 6764 and RFC 4791/6352 discovery from the host name: (calendars, address books) of the user."""
    for kind in ("caldav", "carddav"):
        answer = client.request("GET", f"/.well-known/{kind}")
        location = answer.headers.get("Location", "")
        if answer.status_code not in REDIRECTS or not client.absolute(location).startswith(DAV_ROOT):
            raise DavError(f"/.well-known/{kind} answered HTTP {answer.status_code} "
                           f"{'to ' + location if location else 'without a Location'}, not a redirect to {DAV_ROOT}")
    root = client.propfind(DAV_ROOT, [(DAV, "current-user-principal")])
    on_member(client, route, f"PROPFIND {DAV_ROOT}")
    principal = root.first_hrefs(DAV, "current-user-principal")
    if not principal:
        raise DavError(f"PROPFIND {DAV_ROOT} names no current-user-principal")
    homes = client.propfind(client.absolute(principal[0]), [(CALDAV, "calendar-home-set"),
                                                            (CARDDAV, "addressbook-home-set")])
    found = []
    for namespace, home_set, kind in ((CALDAV, "calendar-home-set", "calendar"),
                                      (CARDDAV, "addressbook-home-set", "addressbook")):
        home = homes.first_hrefs(namespace, home_set)
        if not home:
            raise DavError(f"the principal {principal[0]} names no {home_set}")
        listed = client.propfind(client.absolute(home[0]), [(DAV, "resourcetype"), (DAV, "displayname")], depth="1")
        collections = listed.collections(namespace, kind)
        if not collections:
            raise DavError(f"the {home_set} {home[0]} lists no {kind} collection")
        found.append(collections)
    return found[0], found[1]


@requirement("DAV-DISCOVERY")
def test_a_sync_client_discovers_calendars_and_address_books_through_every_sync_member(each_sync_member):
    """Through each sync pool member: /.well-known/caldav and /.well-known/carddav redirect to the DAV root,
    which names the user's principal; the principal names its calendar and address book home sets, and each
    lists at least one collection of its kind."""
    problems = each_sync_member("alice", discover)
    assert not problems, "\n".join(problems)


def stamp(offset_hours: int) -> str:
    return time.strftime("%Y%m%dT%H0000Z", time.gmtime(time.time() + offset_hours * 3600))


def calendar_round_trip(client: DavClient, route: str) -> None:
    """Create, read, update, read again, delete and miss an event with the caldav library."""
    uid = f"oxh-{secrets.token_hex(6)}"
    step = "find the calendar"
    try:
        calendars = calendar_client(client).principal().calendars()
        if not calendars:
            raise DavError("find the calendar: the caldav library found none")
        calendar, step = calendars[0], "create"
        event = calendar.save_event(vevent(uid, "Sync check", stamp(24), stamp(25)))
        step = "read"
        read = caldav.Event(client=calendar.client, url=event.url, parent=calendar).load()
        if read.icalendar_component.get("summary") != "Sync check":
            raise DavError(f"read: the event came back as {read.data!r:.200}")
        step, first_etag = "update", read.etag
        read.icalendar_component["summary"] = "Sync check, moved"
        read.save()
        step = "read the update"
        again = caldav.Event(client=calendar.client, url=event.url, parent=calendar).load()
        if again.icalendar_component.get("summary") != "Sync check, moved":
            raise DavError(f"read the update: the event still reads {again.icalendar_component.get('summary')!r}")
        if first_etag and again.etag == first_etag:
            raise DavError(f"read the update: the ETag stayed {first_etag}, so a client would not see the change")
        step = "delete"
        again.delete()
    except caldav.lib.error.DAVError as exc:
        raise DavError(f"{step}: {type(exc).__name__}: {str(exc)[:200]}") from None
    gone = client.request("GET", client.absolute(str(event.url)))
    if gone.status_code != 404:
        raise DavError(f"read after delete: answered HTTP {gone.status_code}, not 404")
    on_member(client, route, "read after delete")


@requirement("DAV-CALDAV")
def test_a_calendar_client_creates_reads_updates_and_deletes_an_event_through_every_sync_member(each_sync_member):
    """Through each sync pool member, a CalDAV client (the caldav library) creates an event, reads it back,
    updates it (a new ETag), reads the update, deletes it and no longer finds it."""
    problems = each_sync_member("alice", calendar_round_trip)
    assert not problems, "\n".join(problems)


def contact_round_trip(client: DavClient, route: str) -> None:
    """PUT a vCard into the first address book, GET it, PUT a change, GET it, DELETE it, miss it."""
    try:
        _, books = discover(client, route)
    except DavError as exc:
        raise DavError(f"find the address book: {exc}") from None
    uid = f"oxh-{secrets.token_hex(6)}"
    path = client.absolute(books[0]).rstrip("/") + f"/{uid}.vcf"
    headers = {"Content-Type": "text/vcard; charset=utf-8"}
    steps = [
        ("create", "PUT", vcard(uid, "Sync", "Check", "sync.check@example.invalid"), (201, 204)),
        ("read", "GET", None, (200,)),
        ("update", "PUT", vcard(uid, "Sync", "Checked", "sync.check@example.invalid"), (200, 201, 204)),
        ("read the update", "GET", None, (200,)),
        ("delete", "DELETE", None, (200, 204)),
        ("read after delete", "GET", None, (404,)),
    ]
    etags = []
    for step, method, body, expected in steps:
        answer = client.request(method, path, body=body.encode() if body else None,
                                headers=headers if body else None)
        if answer.status_code not in expected:
            raise DavError(f"{step}: {method} {path} answered HTTP {answer.status_code}")
        on_member(client, route, step)
        if step == "read" and "FN:Sync Check" not in answer.text:
            raise DavError(f"read: the contact came back as {answer.text!r:.200}")
        if step == "read the update" and "FN:Sync Checked" not in answer.text:
            raise DavError(f"read the update: the contact still reads {answer.text!r:.200}")
        if method == "GET" and answer.status_code == 200:
            etags.append(answer.headers.get("ETag"))
    if len(etags) == 2 and etags[0] and etags[0] == etags[1]:
        raise DavError(f"read the update: the ETag stayed {etags[0]}, so a client would not see the change")


@requirement("DAV-CARDDAV")
def test_a_contacts_client_creates_reads_updates_and_deletes_a_contact_through_every_sync_member(each_sync_member):
    """Through each sync pool member, a CardDAV client puts a vCard 3.0 into the user's address book, reads
    it back, changes it (a new ETag), reads the change, deletes it and no longer finds it."""
    problems = each_sync_member("bob", contact_round_trip)
    assert not problems, "\n".join(problems)


@requirement("DAV-POOL")
def test_dav_is_served_by_the_sync_pool_with_its_own_stickiness(dav, sync_members, groupware_routes, member_name):
    """A DAV client without a route is placed on a sync pool member and stays there; a client pinned to a
    node outside the sync pool (a route the groupware pool gave it) is still served by a sync member."""
    problems = []
    for _ in range(UNPINNED_CLIENTS):
        client = dav("alice")
        client.request("PROPFIND", DAV_ROOT, depth="0")
        first = client.answered_by
        if first not in sync_members:
            problems.append(f"an unpinned DAV client was placed on {member_name(first)}, which is "
                            f"not a sync pool member ({', '.join(sync_members)})")
            continue
        moved = set()
        for _ in range(STICKY_REQUESTS):
            client.request("PROPFIND", DAV_ROOT, depth="0")
            moved |= {client.answered_by} - {first}
        if moved:
            problems.append(f"a DAV client placed on {member_name(first)} moved to "
                            f"{', '.join(member_name(r) for r in sorted(moved, key=str))}")
    for route in [r for r in groupware_routes if r not in sync_members]:
        client = dav("alice", route=route)
        client.request("PROPFIND", DAV_ROOT, depth="0")
        if client.answered_by not in sync_members:
            problems.append(f"a DAV request pinned to {member_name(route)}, outside the sync pool, was "
                            f"answered by {member_name(client.answered_by)}")
    assert not problems, "\n".join(problems)
