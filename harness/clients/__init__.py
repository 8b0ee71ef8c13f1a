"""Clients that speak the real protocols of an OX cluster: HTTP API, SOAP, IMAP, SMTP, MySQL, the balancer,
and TCP handshakes asked from a node (`handshakes`: whether one node reaches a port of another)."""

__all__ = ["balancer", "handshakes", "mail", "mysql", "ox_errors", "ox_http", "provisioning"]
