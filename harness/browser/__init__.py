"""The browser the frontend suite drives: Debian's Chromium found and checked against the pinned Playwright,
pytest-playwright's launch and base URL fixtures pointed at it and at the target's UI, the OX API traffic
of a page watched, and a browser's OX session reached through the API client."""

__all__ = ["accessibility", "api_traffic", "chromium", "fixtures", "ox_session"]
