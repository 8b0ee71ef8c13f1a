"""The OX error envelope as typed exceptions carrying code and category.

OX answers errors with HTTP 200 and `{error, error_params, error_id,
error_desc, code, categories, category}`; HTTP 503 only when the server is
down. Categories are numbered as in the OX HTTP API.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Category(IntEnum):
    USER_INPUT = 1
    CONFIGURATION = 2
    PERMISSION_DENIED = 3
    TRY_AGAIN = 4
    SERVICE_DOWN = 5
    CONNECTIVITY = 6
    ERROR = 8
    CONFLICT = 9
    CAPACITY = 11
    TRUNCATED = 12
    WARNING = 13


class OXError(Exception):
    """An error answered by the server in the OX envelope."""

    def __init__(self, envelope: dict[str, Any], route: str | None = None):
        self.envelope = envelope
        self.code: str = envelope.get("code", "")
        self.error_id: str = envelope.get("error_id", "")
        self.description: str = envelope.get("error_desc") or envelope.get("error", "")
        self.route = route
        try:
            self.category = Category(int(envelope.get("category", Category.ERROR)))
        except ValueError:
            self.category = Category.ERROR
        categories = envelope.get("categories", [])
        self.categories = [categories] if isinstance(categories, str) else list(categories)
        super().__init__(f"{self.code} ({self.category.name}): {self.description}")

    @property
    def session_expired(self) -> bool:
        return self.code == "SES-0203"


class OXServerUnavailable(Exception):
    """HTTP 502/503/504: the balancer or the node did not answer with an OX envelope."""

    def __init__(self, status: int, route: str | None = None):
        self.status = status
        self.route = route
        super().__init__(f"HTTP {status}: server unavailable")


def is_error(payload: Any) -> bool:
    return isinstance(payload, dict) and "error" in payload and "code" in payload
