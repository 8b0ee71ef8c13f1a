"""Mail through the user's Dovecot (IMAP, as `<email>*oxmaster`) and Postfix (SMTP).

Blocking stdlib clients run on their own threads with short timeouts; an
unreachable server becomes MSG-1016/MSG-1017 (CONNECTIVITY). IMAP servers
are tried in turn, as a client behind a mail VIP or DNS round robin would.
Logged-in IMAP connections are kept for a short while and reused by the
same user's next call; one idle for a few seconds is checked with NOOP first.
"""

from __future__ import annotations

import imaplib
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
        """IMAP servers, the ones that failed lately last."""
        now = time.monotonic()
        return sorted(self.config.imap["hosts"], key=lambda host: now - self.failed_at.get(host, -1e9) < DOWN_MEMORY)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return await budget.on_threads("imap", self.executor, CALL_TIMEOUT, function, *args)

    # -- connections ------------------------------------------------------------------

    def _login(self, email: str) -> imaplib.IMAP4:
        last_error: Exception | None = None
        for host in self._hosts():
            try:
                connection = imaplib.IMAP4(host, self.config.imap.get("port", 143), timeout=IO_TIMEOUT)
            except OSError as exc:
                self.failed_at[host] = time.monotonic()
                last_error = exc
                continue
            try:
                connection.login(f"{email}*{self.config.imap['master_user']}", self.config.imap_master_password)
                return connection
            except (imaplib.IMAP4.abort, OSError) as exc:
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
                except Exception:
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
