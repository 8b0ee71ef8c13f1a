"""Clients that speak the real protocols of an OX cluster: HTTP API, SOAP, IMAP, SMTP, MySQL, the balancer."""

__all__ = ["balancer", "mail", "mysql", "ox_errors", "ox_http", "provisioning"]
