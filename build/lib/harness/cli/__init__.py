"""The `oxh` command."""
