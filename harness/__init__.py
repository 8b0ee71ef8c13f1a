"""ox-harness: qualification harness for highly available OX App Suite deployments."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ox-harness")
except PackageNotFoundError:  # imported from a folder that was never installed
    __version__ = "0+unknown"
