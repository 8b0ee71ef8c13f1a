"""The error of sizing input that cannot carry a fit or a plan (exit code 2, with a fix)."""

from __future__ import annotations

from harness.errors import UserError


class SizingError(UserError):
    """Capacity points, costs or a design that the sizing model cannot work with."""
