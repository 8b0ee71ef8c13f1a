"""ox-harness: qualification harness for highly available OX App Suite deployments."""

__version__ = "0.1.0"
