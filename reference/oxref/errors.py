"""OX errors: the JSON envelope with code, category and categories, as OX answers them (HTTP 200)."""

from __future__ import annotations

import secrets
from typing import Any

CATEGORY_NAMES = {
    1: "USER_INPUT",
    2: "CONFIGURATION",
    3: "PERMISSION_DENIED",
    4: "TRY_AGAIN",
    5: "SERVICE_DOWN",
    6: "CONNECTIVITY",
    8: "ERROR",
    9: "CONFLICT",
    11: "CAPACITY",
    12: "TRUNCATED",
    13: "WARNING",
}
USER_INPUT, PERMISSION_DENIED, TRY_AGAIN, SERVICE_DOWN, CONNECTIVITY, ERROR, CONFLICT, WARNING = 1, 3, 4, 5, 6, 8, 9, 13


class OXException(Exception):
    def __init__(self, code: str, category: int, message: str, *params: Any):
        self.code = code
        self.category = category
        self.params = [str(p) for p in params]
        self.message = message % params if params and "%s" in message else message
        super().__init__(f"{code}: {self.message}")

    def envelope(self) -> dict[str, Any]:
        return {
            "error": self.message,
            "error_params": self.params,
            "error_id": f"{secrets.randbelow(10**9)}-{secrets.randbelow(10**4)}",
            "error_desc": self.message,
            "code": self.code,
            "categories": CATEGORY_NAMES.get(self.category, "ERROR"),
            "category": self.category,
        }


# The errors this node answers, named after OX's own codes.
def session_missing() -> OXException:
    return OXException("SES-0201", USER_INPUT, "The session parameter is missing.")


def session_expired(session_id: str) -> OXException:
    return OXException("SES-0203", TRY_AGAIN, "Your session %s expired. Please start a new browser session.", session_id)


def wrong_secret() -> OXException:
    return OXException("SES-0206", TRY_AGAIN, "The session secret does not match. Please start a new browser session.")


def invalid_credentials() -> OXException:
    return OXException("LGI-0006", USER_INPUT, "The user name or password is incorrect.")


def missing_parameter(name: str) -> OXException:
    return OXException("SVL-0002", USER_INPUT, "Missing the following request parameter: %s", name)


def invalid_parameter(name: str, value: Any) -> OXException:
    return OXException("SVL-0010", USER_INPUT, "Invalid value for parameter %s: %s", name, value)


def unknown_action(module: str, action: str) -> OXException:
    return OXException("SVL-0001", USER_INPUT, "Unknown action %s in module %s", action, module)


def not_found(what: str, ident: Any) -> OXException:
    return OXException("OX-0001", USER_INPUT, "Object %s with id %s not found", what, ident)


def conflict(what: str) -> OXException:
    return OXException("OX-0002", CONFLICT, "%s was changed in the meantime", what)


def database_down(reason: str) -> OXException:
    return OXException("DBP-0001", SERVICE_DOWN, "Cannot get a connection to the database: %s", reason)


def database_busy() -> OXException:
    return OXException("DBP-0002", TRY_AGAIN, "The database did not answer in time; please try again.")


def imap_down(reason: str) -> OXException:
    return OXException("MSG-1016", CONNECTIVITY, "Connection to the mail server failed: %s", reason)


def smtp_down(reason: str) -> OXException:
    return OXException("MSG-1017", CONNECTIVITY, "Connection to the mail transport failed: %s", reason)


def filestore_down(reason: str) -> OXException:
    return OXException("FLS-0017", SERVICE_DOWN, "The file storage is not available: %s", reason)


def internal(reason: str) -> OXException:
    return OXException("SVL-0000", ERROR, "An unexpected error occurred: %s", reason)
