"""SOAP provisioning (zeep): contexts and users through OXContextService and OXUserService.

The WSDL is read from `<base>/webservices/<Service>?wsdl`; calls go to the
same base URL (the WSDL's own address may name a host only the cluster
knows). SOAP faults become ProvisioningError with the server's message.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import requests
import zeep
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

SERVICE_NS = "http://soap.admin.openexchange.com"


class ProvisioningError(Exception):
    """The provisioning service refused or failed a call."""


@dataclass(frozen=True)
class Credentials:
    login: str
    password: str

    def as_soap(self) -> dict[str, str]:
        return {"login": self.login, "password": self.password}


class Provisioning:
    def __init__(self, base_url: str, master: Credentials, *, verify: bool | str = True, timeout: float = 30.0,
                 route: str | None = None):
        """`route`: send every call to the node with this JSESSIONID route (one known to answer)."""
        self.base_url = base_url.rstrip("/")
        self.master = master
        self.transport = Transport(timeout=timeout, operation_timeout=timeout)
        self.transport.session.verify = verify
        if route:
            self.transport.session.cookies.set("JSESSIONID", f"0.{route}")
        self._services: dict[str, Any] = {}

    def _service(self, name: str) -> Any:
        if name not in self._services:
            try:
                client = zeep.Client(f"{self.base_url}/webservices/{name}?wsdl", transport=self.transport)
            except (TransportError, requests.RequestException, OSError) as exc:
                raise ProvisioningError(f"cannot read the WSDL of {name} at {self.base_url}: {_reason(exc)}") from None
            binding = f"{{{SERVICE_NS}}}{name}Soap11Binding"
            self._services[name] = client.create_service(binding, f"{self.base_url}/webservices/{name}")
        return self._services[name]

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            try:
                return getattr(self._service(service), operation)(**kwargs)
            except Fault as fault:
                raise ProvisioningError(f"{service}.{operation}: {fault.message}") from None
            except requests.ConnectionError as exc:
                # A kept-alive connection to a balancer that has since gone (failover): once more, anew.
                self.transport.session.close()
                if attempt == 2:
                    raise ProvisioningError(f"{service}.{operation}: {_reason(exc)}") from None
            except (TransportError, requests.RequestException, OSError) as exc:
                raise ProvisioningError(f"{service}.{operation}: {_reason(exc)}") from None

    # -- contexts ----------------------------------------------------------------

    def create_context(self, cid: int, name: str, admin: Credentials, admin_display_name: str = "Context Admin") -> Any:
        return self._call(
            "OXContextService",
            "create",
            ctx={"id": cid, "name": name, "loginMappings": [name]},
            admin_user={"name": admin.login, "password": admin.password, "display_name": admin_display_name},
            auth=self.master.as_soap(),
        )

    def delete_context(self, cid: int) -> None:
        self._call("OXContextService", "delete", ctx={"id": cid}, auth=self.master.as_soap())

    def list_contexts(self, pattern: str = "*") -> list[Any]:
        return list(self._call("OXContextService", "list", search_pattern=pattern, auth=self.master.as_soap()) or [])

    def get_context(self, cid: int) -> Any:
        return self._call("OXContextService", "getData", ctx={"id": cid}, auth=self.master.as_soap())

    # -- users ---------------------------------------------------------------------

    def create_user(self, cid: int, admin: Credentials, name: str, password: str, email: str, display_name: str) -> Any:
        return self._call(
            "OXUserService",
            "create",
            ctx={"id": cid},
            usrdata={"name": name, "password": password, "primaryEmail": email, "email1": email,
                     "display_name": display_name},
            auth=admin.as_soap(),
        )

    def delete_user(self, cid: int, admin: Credentials, user_id: int) -> None:
        self._call("OXUserService", "delete", ctx={"id": cid}, user={"id": user_id}, auth=admin.as_soap())

    def list_users(self, cid: int, admin: Credentials, pattern: str = "*") -> list[Any]:
        return list(self._call("OXUserService", "list", ctx={"id": cid}, search_pattern=pattern, auth=admin.as_soap()) or [])

    def get_user(self, cid: int, admin: Credentials, user_id: int) -> Any:
        return self._call("OXUserService", "getData", ctx={"id": cid}, user={"id": user_id}, auth=admin.as_soap())


def _reason(exc: Exception) -> str:
    """The innermost cause of a transport error, in one line (TLS, refused, timeout)."""
    text = str(exc)
    for marker in ("SSLError", "CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "Connection refused", "timed out"):
        if marker in text:
            return f"{marker.replace('_', ' ').lower()}: {text[:200]}"
    return text[:240]


# -- a context of the run's own ---------------------------------------------------

CONTEXT_IDS = (1_000_000, 2**31 - 1)  # one range for every purpose, so two runs never pick alike by design


@dataclass(frozen=True)
class TestUser:
    name: str
    login: str  # as the user signs in: <name>@<context name>
    password: str
    email: str
    user_id: int
    context_id: int


@dataclass(frozen=True)
class TestContext:
    cid: int
    name: str
    admin: Credentials
    users: dict[str, TestUser] = field(default_factory=dict)


@contextmanager
def temporary_context(provisioning: Provisioning, purpose: str, users: Sequence[str],
                      mail_domain: str) -> Iterator[TestContext]:
    """A context named oxh<purpose><id> with `users`, removed afterwards whatever happens (a failed
    creation included). Raises ProvisioningError when the context cannot be made."""
    cid = secrets.randbelow(CONTEXT_IDS[1] - CONTEXT_IDS[0]) + CONTEXT_IDS[0]
    name = f"oxh{purpose}{cid}"
    admin = Credentials("oxadmin", secrets.token_urlsafe(12))
    provisioning.create_context(cid, name, admin)
    try:
        made = {}
        for user in users:
            password = secrets.token_urlsafe(12)
            email = f"{user}.{cid}@{mail_domain}"
            created = provisioning.create_user(cid, admin, user, password, email, user.title())
            made[user] = TestUser(user, f"{user}@{name}", password, email, created.id, cid)
        yield TestContext(cid, name, admin, made)
    finally:
        provisioning.delete_context(cid)
