"""Functional suite: the OX HTTP API and every infrastructure part, read-only."""
