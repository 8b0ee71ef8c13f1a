"""Clients that speak the real protocols of an OX cluster: HTTP API, SOAP, IMAP, SMTP, MySQL, DAV."""
