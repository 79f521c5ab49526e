"""The project's one error type: a problem with data, configuration or artifacts."""


class ProjectError(Exception):
    """Raised with a message that says what is wrong and what to do; the CLI prints it."""
