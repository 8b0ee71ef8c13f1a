"""What an operator reads off the balancers and nodes.

- the balancer-manager's XML view (`?xml=1`; Apache heeds its parameters
  only with a Referer of the same host): pools, members, routes, status and
  timeouts;
- a probe of each pool member through the balancer, pinned to its route with
  a short timeout, that tells a member that answers from one that is hung
  (accepts connections, never answers) or that the balancer routes around;
- whether an administrative endpoint answers a client (refused: 401, 403,
  404, or no connection);
- a node's /health and its Prometheus /metrics.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.clients.ox_http import route_of

NS = {"httpd": "http://httpd.apache.org"}
ADMIN_PATHS = ("/balancer-manager", "/server-status", "/webservices/OXContextService?wsdl")
REFUSED = (401, 403)  # what an access rule answers; a 404 or no answer is no refusal
PUBLIC_PATH = "/appsuite/"  # a path every client may open: the balancer answers it when it refuses the others
PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class PoolMember:
    url: str
    route: str
    status: str  # Apache's flags, e.g. "Init Ok", "Init Err", "Init HcFl"
    timeout: int | None = None  # seconds the balancer waits for the member's answer

    @property
    def up(self) -> bool:
        return "Ok" in self.status.split()


def parse_manager_xml(text: str) -> dict[str, list[PoolMember]]:
    """Pools and members from the balancer-manager's XML view."""
    root = ET.fromstring(text)
    pools: dict[str, list[PoolMember]] = {}
    for balancer in root.iterfind("httpd:balancers/httpd:balancer", NS):
        name = (balancer.findtext("httpd:name", "", NS)).removeprefix("balancer://")
        members = []
        for worker in balancer.iterfind("httpd:workers/httpd:worker", NS):
            timeout = worker.findtext("httpd:timeout", None, NS)
            members.append(PoolMember(worker.findtext("httpd:name", "", NS), worker.findtext("httpd:route", "", NS),
                                      worker.findtext("httpd:status", "", NS).strip(),
                                      int(timeout) if timeout and timeout.isdigit() else None))
        pools[name] = members
    return pools


def manager_xml_command(port: int = 80) -> str:
    """The shell command that prints the XML view on a balancer node itself (a local client)."""
    return f"curl -s -m 5 -H 'Referer: http://127.0.0.1/' 'http://127.0.0.1:{port}/balancer-manager?xml=1'"


def drain_command(pool: str, member_url: str, drained: bool, port: int = 80, flag: str = "D") -> str:
    """The shell command, run on a balancer node, that sets or clears a pool member's status flag through the
    balancer-manager: D (disabled) sends it no new request and no sticky session; N (drain mode) keeps its own
    sticky sessions on it and sends it no new client."""
    manager = f"http://127.0.0.1:{port}/balancer-manager"
    referer = "-H 'Referer: http://127.0.0.1/'"
    nonce = (f"curl -s -m 5 {referer} '{manager}?xml=1' | tr -d '\\n' | "
             f"sed -n 's|.*<httpd:name>balancer://{pool}</httpd:name>[[:space:]]*<httpd:nonce>\\([^<]*\\)<.*|\\1|p'")
    return (f"n=$({nonce}) && [ -n \"$n\" ] && curl -s -m 5 -o /dev/null -w '%{{http_code}}' {referer} "
            f"--data-urlencode 'b={pool}' --data-urlencode 'w={member_url}' --data-urlencode \"nonce=$n\" "
            f"--data-urlencode 'w_status_{flag}={1 if drained else 0}' '{manager}'")


def balancer_pools(base_url: str, verify: bool | str = True) -> dict[str, list[PoolMember]]:
    """The XML view through `base_url`, for a client the balancer lets in."""
    host = httpx.URL(base_url).host
    response = httpx.get(f"{base_url}/balancer-manager", params={"xml": "1"}, timeout=10, verify=verify,
                         headers={"Referer": f"http://{host}/"})
    response.raise_for_status()
    return parse_manager_xml(response.text)


@dataclass(frozen=True)
class MemberProbe:
    pool: str
    route: str
    answered: bool
    seconds: float
    answered_by: str | None = None  # the route the answer came from, where the node set JSESSIONID
    detail: str = ""


def probe_member(base_url: str, pool: str, path: str, route: str, *, timeout: float = PROBE_TIMEOUT,
                 verify: bool | str = True) -> MemberProbe:
    """One request through the balancer, pinned to `route`, on a path of `pool`: did the member answer?"""
    started = time.monotonic()
    cookies = {"JSESSIONID": f"{int(time.time() * 1000)}.{route}"}
    probe_path = f"{path.rstrip('/')}/config/identifier" if path.rstrip("/").endswith("/api") else path
    try:
        response = httpx.get(f"{base_url}{probe_path}", cookies=cookies, timeout=timeout, verify=verify)
    except httpx.TimeoutException:
        return MemberProbe(pool, route, False, time.monotonic() - started,
                           detail=f"did not answer within {timeout:g} s: it accepts connections but never answers (hung)")
    except httpx.HTTPError as exc:
        return MemberProbe(pool, route, False, time.monotonic() - started,
                           detail=f"could not be reached through the balancer ({type(exc).__name__}: {exc})")
    seconds = time.monotonic() - started
    answered_by = route_of(response.cookies.get("JSESSIONID"))
    if response.status_code in (502, 503, 504):
        return MemberProbe(pool, route, False, seconds, answered_by,
                           f"got HTTP {response.status_code} from the balancer: no member could take the request")
    if answered_by and answered_by != route:
        return MemberProbe(pool, route, False, seconds, answered_by,
                           f"was answered by {answered_by} instead: the balancer does not route to {route}")
    return MemberProbe(pool, route, True, seconds, answered_by or route)


def admin_status(base_url: str, path: str, verify: bool | str = True) -> int | None:
    """The HTTP status an administrative endpoint gives this client, or None when it refuses to connect."""
    try:
        return httpx.get(f"{base_url}{path}", timeout=10, verify=verify).status_code
    except httpx.ConnectError:
        return None


def http_status_command(url: str) -> str:
    """A shell command printing the HTTP status of a GET of `url` (000 when there is no answer), with
    curl where the node has it and Python's standard library otherwise."""
    python = ("import sys, urllib.request as u, urllib.error as e\n"
              "try: print(u.urlopen(sys.argv[1], timeout=5).status)\n"
              "except e.HTTPError as x: print(x.code)\n"
              "except Exception: print('000')")
    return (f"if command -v curl >/dev/null; then curl -s -o /dev/null -m 5 -w '%{{http_code}}' '{url}'; "
            f"else python3 -c \"{python}\" '{url}'; fi")


def node_health(base_url: str) -> dict:
    return httpx.get(f"{base_url}/health", timeout=5).json()


REQUEST_COUNTERS = ("appsuite_httpapi_requests_seconds_count", "ox_http_requests_total")


def node_request_count(base_url: str) -> tuple[str, float] | None:
    """(sample name, total) of the first HTTP API request counter the node's /metrics exposes, summed over its
    labels; None when it exposes none."""
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in REQUEST_COUNTERS:
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return next(((name, totals[name]) for name in REQUEST_COUNTERS if name in totals), None)


OX_CODE = re.compile(r"^[A-Z]+-\d{4}$")


@dataclass(frozen=True)
class PoolProbe:
    """A request that App Suite answers on one of a pool's paths, and how to tell its answer from anyone else's."""

    method: str
    path: str
    expects: str  # what App Suite's answer looks like, for the failure message

    def judge(self, response: httpx.Response) -> str | None:
        """None when the response is App Suite's answer; else what it was instead."""
        if self.method == "OPTIONS":
            if response.status_code == 200 and response.headers.get("MS-ASProtocolVersions"):
                return None
            return f"HTTP {response.status_code} without MS-ASProtocolVersions"
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}, not JSON: {response.text[:80]!r}"
        if isinstance(body, dict) and ("data" in body or OX_CODE.match(str(body.get("code", "")))):
            return None
        return f"HTTP {response.status_code}, JSON without data or an OX error code: {str(body)[:80]!r}"


def pool_probe(paths: tuple[str, ...]) -> PoolProbe:
    """The request that shows a pool's member answers as App Suite: the EAS handshake on a sync pool, an HTTP API
    call (the OX envelope) on an API path, else a GET of the pool's first path answered with the OX envelope."""
    if "/Microsoft-Server-ActiveSync" in paths:
        return PoolProbe("OPTIONS", "/Microsoft-Server-ActiveSync", "the EAS handshake (MS-ASProtocolVersions)")
    for path in paths:
        if path in ("/appsuite/api", "/ajax"):
            return PoolProbe("GET", f"{path}/config/identifier", "the OX envelope with data")
        if path.startswith(("/appsuite/api/", "/ajax/")):
            return PoolProbe("GET", path, "the OX envelope (data, or an error with its OX code)")
    return PoolProbe("GET", paths[0], "the OX envelope (data, or an error with its OX code)")
