"""Failover suite: each component killed, stopped, paused or cut off while users work."""
