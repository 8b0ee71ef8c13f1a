"""The reference middleware and UI the middleware image is built from (data for the harness, never imported)."""
