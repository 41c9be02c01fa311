"""The one exception of the campaign tool: a message for the user, never a traceback."""

__all__ = ["FuzzToolError"]


class FuzzToolError(Exception):
    """Bad input or an environment problem; `exit_status` is the CLI's exit status."""

    def __init__(self, message: str, exit_status: int = 2) -> None:
        super().__init__(message)
        self.exit_status = exit_status
