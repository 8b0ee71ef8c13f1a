"""The `oxh` command: `arguments` declares it, `main` runs it; one module per command family."""

__all__ = ["arguments", "main"]
