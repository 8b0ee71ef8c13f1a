"""User behaviour mixes for the load suite (data): see harness/load/profile.py for the format."""
