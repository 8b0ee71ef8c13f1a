"""Faults: the catalogue, the FaultDriver protocol and its Docker and SSH drivers."""
