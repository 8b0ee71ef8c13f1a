"""Scenarios: a workload or a load profile, faults at given moments, checkers judging the result."""
