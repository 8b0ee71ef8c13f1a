"""Errors a user can mend: printed as one clear line, exit code 2, never a traceback."""


class UserError(Exception):
    """Something wrong with the input or the machine that the user can fix.

    `message` says what is wrong, `hint` how to mend it.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
