"""Load suite: the smoke profile through Locust, judged against its SLOs."""
