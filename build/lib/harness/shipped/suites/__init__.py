"""The suites of ox-harness: one folder per suite with its requirements.yaml and tests."""
