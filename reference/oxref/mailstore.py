"""Mail through the user's Dovecot (IMAP, as `<email>*oxmaster`) and Postfix (SMTP).

Blocking stdlib clients run on their own threads with short timeouts; an
unreachable server becomes MSG-1016/MSG-1017 (CONNECTIVITY). IMAP servers
are tried in turn, as a client behind a mail VIP or DNS round robin would.
Logged-in IMAP connections are kept for a short while and reused by the
same user's next call; one idle for a few seconds is checked with NOOP first.
"""

from __future__ import annotations

import imaplib
import logging
import smtplib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from oxref import budget, errors
from oxref.config import Config

T = TypeVar("T")
log = logging.getLogger("oxref.mail")
CONNECT_TIMEOUT = 1.0  # a server on the same LAN answers a SYN at once; a dead one never does
IO_TIMEOUT = 2.0
CALL_TIMEOUT = 4.5
DOWN_MEMORY = 10.0  # seconds a server that failed is tried last
IDLE_KEEP = 4.0  # seconds an idle logged-in connection is kept (OX: mailAccessCacheIdleSeconds=4)
IDLE_CHECK = 2.0  # an idle connection older than this is checked with NOOP before use
MAX_IDLE = 256


class MailStore:
    def __init__(self, config: Config):
        self.config = config
        self.executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="mail")
        self.failed_at: dict[str, float] = {}
        self.idle: dict[str, list[tuple[float, imaplib.IMAP4]]] = {}
        self.lock = threading.Lock()

    def _hosts(self) -> list[str]:
        """IMAP servers in configured order, the ones that failed lately last, the latest failure last of all.

        While one server is dead every attempt on it fails again, so it stays behind a server that merely
        answered one command slowly.
        """
        now = time.monotonic()

        def recent_failure(host: str) -> float:
            failed = self.failed_at.get(host)
            return failed if failed is not None and now - failed < DOWN_MEMORY else float("-inf")

        return sorted(self.config.imap["hosts"], key=recent_failure)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return await budget.on_threads("imap", self.executor, CALL_TIMEOUT, function, *args)

    # -- connections ------------------------------------------------------------------

    def _login(self, email: str) -> imaplib.IMAP4:
        last_error: Exception | None = None
        for host in self._hosts():
            try:
                connection = _Imap(host, self.config.imap.get("port", 143))
            except OSError as exc:
                log.warning("IMAP server %s: no connection: %r", host, exc)
                self.failed_at[host] = time.monotonic()
                last_error = exc
                continue
            try:
                connection.login(f"{email}*{self.config.imap['master_user']}", self.config.imap_master_password)
                return connection
            except (imaplib.IMAP4.abort, OSError) as exc:
                log.warning("IMAP server %s: login broke off: %r", host, exc)
                self.failed_at[host] = time.monotonic()
                last_error = exc
                _close(connection)
            except imaplib.IMAP4.error as exc:
                _close(connection)
                raise errors.OXException("MSG-1001", errors.CONNECTIVITY,
                                         "The mail server refused the login of %s: %s", email, exc) from None
        raise errors.imap_down(str(last_error or "no IMAP server configured"))

    def _checkout(self, email: str) -> imaplib.IMAP4:
        now = time.monotonic()
        while True:
            with self.lock:
                stack = self.idle.get(email)
                if not stack:
                    break
                since, connection = stack.pop()
                if not stack:
                    self.idle.pop(email, None)
            if now - since > IDLE_KEEP:
                _close(connection)
                continue
            if now - since > IDLE_CHECK:
                try:
                    connection.noop()
                except Exception as exc:
                    log.warning("IMAP server %s: a kept connection did not answer NOOP: %r", connection.host, exc)
                    self._server_failed(connection.host)
                    _close(connection)
                    continue
            return connection
        return self._login(email)

    def _server_failed(self, host: str) -> None:
        """A server that broke a connection is tried last for a while, and no kept connection to it is reused."""
        self.failed_at[host] = time.monotonic()
        with self.lock:
            doomed = [c for stack in self.idle.values() for _, c in stack if c.host == host]
            for email in list(self.idle):
                self.idle[email] = [(since, c) for since, c in self.idle[email] if c.host != host]
                if not self.idle[email]:
                    del self.idle[email]
        for connection in doomed:
            self.executor.submit(_close, connection)  # logging out of a dead server would block this thread

    def _checkin(self, email: str, connection: imaplib.IMAP4) -> None:
        if time.monotonic() - self.failed_at.get(connection.host, -1e9) < DOWN_MEMORY:
            # The server failed while this request used it: the connection may be the next to break.
            self.executor.submit(_close, connection)
            return
        with self.lock:
            if sum(len(stack) for stack in self.idle.values()) < MAX_IDLE:
                self.idle.setdefault(email, []).append((time.monotonic(), connection))
                return
        _close(connection)

    @contextmanager
    def imap(self, email: str, mailbox: str | None = None, readonly: bool = False) -> Iterator[imaplib.IMAP4]:
        """A logged-in connection for the user, with `mailbox` selected; failures become OX errors."""
        connection = self._checkout(email)
        healthy = False
        try:
            if mailbox:
                status, _ = connection.select(quote(mailbox), readonly=readonly)
                if status != "OK":
                    raise errors.OXException("MSG-1002", errors.USER_INPUT, "Mail folder %s does not exist", mailbox)
            yield connection
            healthy = True
        except errors.OXException:
            healthy = True  # the connection is fine; the request was not
            raise
        except (imaplib.IMAP4.abort, OSError, socket.timeout) as exc:
            log.warning("IMAP server %s: a command failed: %r", connection.host, exc)
            self._server_failed(connection.host)
            raise errors.imap_down(str(exc)) from None
        except imaplib.IMAP4.error as exc:
            raise errors.OXException("MSG-1000", errors.ERROR, "The mail server refused: %s", exc) from None
        finally:
            if healthy:
                self._checkin(email, connection)
            else:
                _close(connection)

    # -- transport --------------------------------------------------------------------

    def send(self, sender: str, recipients: list[str], message: bytes) -> None:
        try:
            with smtplib.SMTP(self.config.smtp["host"], self.config.smtp.get("port", 25), timeout=IO_TIMEOUT) as smtp:
                smtp.sendmail(sender, recipients, message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise errors.OXException("MSG-1018", errors.USER_INPUT, "Recipients refused: %s", ", ".join(exc.recipients)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise errors.smtp_down(str(exc)) from None


class _Imap(imaplib.IMAP4):
    """IMAP4 that gives up on connecting sooner than on a command."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port, timeout=CONNECT_TIMEOUT)

    def _create_socket(self, timeout):
        sock = super()._create_socket(timeout)
        sock.settimeout(IO_TIMEOUT)
        return sock


def _close(connection: imaplib.IMAP4) -> None:
    try:
        connection.logout()
    except Exception:
        try:
            connection.shutdown()
        except Exception:
            pass


def quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
