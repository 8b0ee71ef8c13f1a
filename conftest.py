"""The suites' fixtures are the oxh pytest plugin (harness/pytest_plugin.py), which the package registers
as a `pytest11` entry point: pytest loads it in this checkout and in an installed package alike, so
nothing is declared here."""
