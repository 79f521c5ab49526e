"""The one error type users see."""


class MlscaffoldError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it.

    The CLI prints the message on one line and exits with ``exit_code``; nothing in
    the library prints or exits on its own.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Exit codes, documented in the README: 0 success, 1 a user error (MlscaffoldError),
# 2 a command-line usage error (typer's), and these:
EXIT_CHECK_FAILED = 3  # `mlscaffold check`: a required checklist item is open
EXIT_CONFLICTS = 4  # `update`, `add`, `remove`: the merge left conflicts to resolve
